"""`missmodal encode` as a user runs it: a subprocess with the network cut, then other commands on its output."""

import os
import subprocess
import sys

import numpy as np

from missmodal.data import read_data

from encode_fixtures import write_manifest

NO_NETWORK = """
import socket

def _refuse(*args, **kwargs):
    raise RuntimeError("network access attempted")

socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


def run(tmp_path, *args):
    """``python -m missmodal ARGS`` in a process where opening a connection raises (sitecustomize)."""
    (tmp_path / "nonet").mkdir(exist_ok=True)
    (tmp_path / "nonet" / "sitecustomize.py").write_text(NO_NETWORK)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "nonet"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "missmodal", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path)


def test_encode_then_audit_prints_the_provenance(tmp_path, hf_text_dir):
    manifest, _ = write_manifest(tmp_path)
    result = run(tmp_path, "encode", str(manifest), "--encoder", f"text=hf:{hf_text_dir}", "--column", "text=note",
                 "--encoder", "xray=pixels:4", "--encoder", "ecg=rocket:20", "--output", "out.parquet",
                 "--target", "y", "--id", "id", "--covariates", "age,site", "--batch-size", "3")
    assert result.returncode == 0, result.stderr
    assert "text: hf:" in result.stdout and "12 present, 2 absent" in result.stdout
    data = read_data(tmp_path / "out.parquet")
    assert data.modality_names == ["text", "xray", "ecg"] and data.modalities["text"].shape == (14, 32)
    assert (tmp_path / "out.encoders.safetensors").is_file()
    audit = run(tmp_path, "audit", "out.parquet", "--no-mechanism")
    assert audit.returncode == 0, audit.stderr
    assert "encoded modalities (frozen encoders):" in audit.stdout and "pixels:4  dim 4" in audit.stdout


def test_bad_input_is_one_error_line_and_exit_code_2(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    (tmp_path / "sig" / "s4.npy").unlink()
    result = run(tmp_path, "encode", str(manifest), "--encoder", "note=tfidf:2", "--encoder", "xray=pixels:2",
                 "--encoder", "ecg=rocket:8", "--output", "o.parquet", "--target", "y", "--id", "id",
                 "--covariates", "age,site")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ") and "row 4" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o.parquet").exists()
    for bad in (["--encoder", "note"], ["--encoder", "note=nope:3"], ["--column", "zzz=note", "--encoder", "note=tfidf:2"]):
        result = run(tmp_path, "encode", str(manifest), *bad, "--output", "o.parquet", "--ignore", "y,id,age,site,xray,ecg")
        assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr


def test_the_encoded_file_feeds_the_imputer(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    assert run(tmp_path, "encode", str(manifest), "--encoder", "note=tfidf:3", "--encoder", "xray=pixels:4",
               "--encoder", "ecg=rocket:20", "--output", "out.parquet", "--target", "y", "--id", "id",
               "--covariates", "age,site").returncode == 0
    result = run(tmp_path, "impute", "out.parquet", "--method", "mean", "--output", "imputed.parquet")
    assert result.returncode == 0, result.stderr
    imputed = read_data(tmp_path / "imputed.parquet")
    assert np.isfinite(imputed.modalities["xray"]).all()
