"""The command line through subprocess, as a user runs it."""

import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq


def run(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "missmodal", *args], capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_every_command_has_help():
    for command in ["datasets", "simulate", "audit"]:
        assert "Usage" in run(command, "--help").stdout


def test_datasets_lists_bundled_and_synthetic():
    out = run("datasets").stdout
    assert all(name in out for name in ["mfeat", "logic", "blobs", "latent"])


def test_simulate_then_audit_mfeat(tmp_path):
    out = tmp_path / "x.parquet"
    run("simulate", "mfeat", "--mechanism", "mcar", "--rate", "0.5", "--seed", "0", "--output", str(out))
    table = pq.read_table(out)
    assert table.num_rows == 2000
    dims = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
    nulls = [table.column(m).null_count for m in dims]
    assert all(table.schema.field(m).type.list_size == d for m, d in dims.items())
    assert abs(sum(nulls) / (6 * 2000) - 0.5) < 0.03
    assert table.column("id").to_pylist()[:2] == ["mfeat-0000", "mfeat-0001"]
    run("audit", str(out), "--json", str(tmp_path / "a.json"), "--html", str(tmp_path / "a.html"), "--no-mechanism")
    report = json.loads((tmp_path / "a.json").read_text())
    observed = np.column_stack([np.array(table.column(m).is_valid()) for m in dims])
    codes, counts = np.unique(observed.astype(int) @ (1 << np.arange(6)), return_counts=True)
    assert sorted(g["count"] for g in report["groups"]) == sorted(counts.tolist())
    assert report["n_samples"] == 2000 and [m["name"] for m in report["modalities"]] == list(dims)
    assert {"name", "modalities", "count", "share", "tail"} <= set(report["groups"][0])
    assert (tmp_path / "a.html").read_text().count("data:image/png;base64") == 2


def test_rate_zero_exports_the_complete_dataset(tmp_path):
    out = tmp_path / "logic.parquet"
    run("simulate", "logic:n_samples=100", "--rate", "0", "--output", str(out))
    assert pq.read_table(out).column("x2").null_count == 0


def test_bad_input_gives_one_line_error_and_exit_2(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    result = run("audit", str(bad), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not a Parquet file" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run("--debug", "audit", str(tmp_path / "absent.parquet"), check=False)
    assert result.returncode != 0 and "Traceback" in result.stderr
