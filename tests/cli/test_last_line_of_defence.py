"""The command line's last line of defence: input errors as one line (exit 2), bugs as an internal error
with the traceback saved to a file (exit 3), warnings as one line each, no numpy reprs in messages."""

import numpy as np
from click.testing import CliRunner

import missmodal.train
from missmodal.cli import main
from missmodal.cli._common import one_line
from missmodal.errors import MissmodalError


def run(args):
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_a_bug_is_reported_as_an_internal_error_with_the_traceback_in_a_file(trained, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        return {}["no such key"]

    monkeypatch.setattr(missmodal.train, "evaluate_model", broken)
    monkeypatch.setenv("MISSMODAL_CRASH_DIR", str(tmp_path / "crashes"))
    model, data = trained["binary"]
    result = run(["evaluate", str(model), str(data)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    assert lines[-1].startswith("error: internal error, please report it; the traceback is in ")
    saved = list((tmp_path / "crashes").iterdir())
    assert len(saved) == 1 and "KeyError" in saved[0].read_text() and str(saved[0]) in lines[-1]


def test_debug_raises_the_bug_itself(trained, monkeypatch):
    monkeypatch.setattr(missmodal.train, "evaluate_model", lambda *a, **k: 1 / 0)
    model, data = trained["binary"]
    result = CliRunner().invoke(main, ["--debug", "evaluate", str(model), str(data)])
    assert isinstance(result.exception, ZeroDivisionError)


def test_warnings_are_one_line_and_numpy_reprs_plain_values(trained, monkeypatch):
    def noisy(*args, **kwargs):
        np.log(np.array([-1.0]))  # RuntimeWarning: invalid value encountered in log
        raise MissmodalError(f"group {np.int64(3)!r} has {np.float64(0.5)!r} of its samples")

    monkeypatch.setattr(missmodal.train, "evaluate_model", noisy)
    model, data = trained["binary"]
    result = run(["evaluate", str(model), str(data)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert "warning: invalid value encountered in log" in lines
    assert lines[-1] == "error: group 3 has 0.5 of its samples"
    assert not any("np." in line or ".py:" in line for line in lines)


def test_one_line_keeps_the_first_line_only():
    assert one_line("first np.int64(12) and np.str_('a')\nsecond") == "first 12 and 'a'"
