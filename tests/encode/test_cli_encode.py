"""`missmodal encode` as a user runs it, then other commands on its output."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from missmodal.cli import main
from missmodal.data import read_data

from encode_fixtures import subprocess_env, write_manifest

SIDE_OPTIONS = ["--target", "y", "--id", "id", "--covariates", "age,site"]
WEIGHT_FREE = ["--encoder", "note=tfidf:3", "--encoder", "xray=pixels:4", "--encoder", "ecg=rocket:20"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_encode_then_audit_prints_the_provenance(tmp_path, hf_text_dir):
    manifest, _ = write_manifest(tmp_path)
    out = tmp_path / "out.parquet"
    result = invoke("encode", manifest, "--encoder", f"text=hf:{hf_text_dir}", "--column", "text=note",
                    "--encoder", "xray=pixels:4", "--encoder", "ecg=rocket:20", "--output", out, *SIDE_OPTIONS,
                    "--batch-size", 3)
    assert result.exit_code == 0, result.output
    assert "text: hf:" in result.output and "12 present, 2 absent" in result.output
    data = read_data(out)
    assert data.modality_names == ["text", "xray", "ecg"] and data.modalities["text"].shape == (14, 32)
    assert (tmp_path / "out.encoders.safetensors").is_file()
    audit = invoke("audit", out, "--no-mechanism")
    assert audit.exit_code == 0, audit.output
    assert "encoded modalities (frozen encoders):" in audit.output and "pixels:4  dim 4" in audit.output


@pytest.mark.parametrize("bad, message", [
    (["--encoder", "note"], "expected MOD=SPEC"), (["--encoder", "note=nope:3"], "unknown encoder kind 'nope'"),
    (["--column", "zzz=note", "--encoder", "note=tfidf:2"], "modality 'zzz' has no --encoder"),
    (["--encoder", "note=tfidf:2", "--encoder", "note=tfidf:3"], "given twice")])
def test_malformed_options_are_one_line_errors(tmp_path, bad, message):
    manifest, _ = write_manifest(tmp_path)
    result = invoke("encode", manifest, *bad, "--output", tmp_path / "o.parquet", "--ignore", "y,id,age,site,xray,ecg")
    assert result.exit_code == 2 and result.output.startswith("error: ") and message in result.output


def test_a_missing_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    (tmp_path / "sig" / "s4.npy").unlink()
    result = subprocess.run([sys.executable, "-m", "missmodal", "encode", str(manifest), *WEIGHT_FREE,
                             "--output", "o.parquet", *SIDE_OPTIONS], capture_output=True, text=True,
                            env=subprocess_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {manifest}, column 'ecg', row 4: file 'sig/s4.npy' does not "
                                                  "exist (use --missing-files absent to record it as absent)"]
    assert not (tmp_path / "o.parquet").exists()


def test_the_encoded_file_feeds_the_imputer(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    assert invoke("encode", manifest, *WEIGHT_FREE, "--output", tmp_path / "out.parquet", *SIDE_OPTIONS).exit_code == 0
    result = invoke("impute", tmp_path / "out.parquet", "--method", "mean", "--output", tmp_path / "imputed.parquet")
    assert result.exit_code == 0, result.output
    assert np.isfinite(read_data(tmp_path / "imputed.parquet").modalities["xray"]).all()


NO_NETWORK = """
import socket

def _refuse(*args, **kwargs):
    raise RuntimeError("network access attempted")

socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


@pytest.mark.slow
def test_the_command_with_an_hf_model_runs_with_the_network_cut(tmp_path, hf_image_dir):
    """A fresh process whose sockets refuse to connect (sitecustomize), as on an offline hospital machine."""
    (tmp_path / "nonet").mkdir()
    (tmp_path / "nonet" / "sitecustomize.py").write_text(NO_NETWORK)
    manifest, _ = write_manifest(tmp_path)
    result = subprocess.run([sys.executable, "-m", "missmodal", "encode", str(manifest), "--encoder", "note=tfidf:3",
                             "--encoder", f"xray=hf:{hf_image_dir}", "--output", "o.parquet", "--ignore", "ecg",
                             *SIDE_OPTIONS], capture_output=True, text=True, env=subprocess_env(tmp_path / "nonet"),
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_data(tmp_path / "o.parquet").modalities["xray"].shape == (14, 16)
