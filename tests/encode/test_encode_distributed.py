"""Under torchrun each rank encodes its own chunks and rank 0 writes the same file as a single process."""

import subprocess
import sys

import numpy as np
import pytest

from missmodal.data import read_data

from encode_fixtures import subprocess_env, write_manifest

RANK_LOGGER = """
import os

def encode(items):
    with open(f"calls-{os.environ.get('RANK', 'single')}.txt", "a") as handle:
        handle.write(f"{len(items)}\\n")
    return [[len(s), s.count("a")] for s in items]
"""


@pytest.mark.slow
def test_torchrun_ranks_share_the_chunks_and_rank_0_writes(tmp_path):
    manifest, frame = write_manifest(tmp_path, n=20)
    (tmp_path / "rank_logger.py").write_text(RANK_LOGGER)
    env = dict(subprocess_env(tmp_path), OMP_NUM_THREADS="1")
    args = ["-m", "missmodal", "encode", str(manifest), "--encoder", "note=python:rank_logger:encode",
            "--encoder", "xray=pixels:3", "--encoder", "ecg=rocket:16", "--target", "y", "--id", "id",
            "--covariates", "age,site", "--chunk-rows", "3"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    result = subprocess.run(torchrun + args + ["--output", "dist.parquet"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    single = subprocess.run([sys.executable] + args + ["--output", "one.parquet"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300)
    assert single.returncode == 0, single.stderr[-2000:]
    per_rank = {rank: [int(x) for x in (tmp_path / f"calls-{rank}.txt").read_text().split()] for rank in (0, 1)}
    present = int(frame.note.notna().sum())
    assert sum(per_rank[0]) - 1 + sum(per_rank[1]) - 1 == present  # each rank's one probe call, then its own chunks
    assert min(sum(calls) for calls in per_rank.values()) > 1
    distributed, alone = read_data(tmp_path / "dist.parquet"), read_data(tmp_path / "one.parquet")
    for modality in alone.modality_names:
        np.testing.assert_array_equal(distributed.modalities[modality], alone.modalities[modality])
    assert not (tmp_path / "dist.parquet.cache").exists()
