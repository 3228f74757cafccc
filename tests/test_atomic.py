"""Atomic writes, stale temporary files of killed writers, and the run-folder lock."""

import os
import signal
import subprocess
import sys
import time

import pytest

from missmodal._atomic import atomic_path, folder_lock, remove_stale_temporaries, write_text_atomic
from missmodal.errors import MissmodalError

SLOW_WRITER = """
import sys, time
from missmodal._atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    with open(tmp, "w") as handle:
        handle.write("partial")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
"""


def start_writer(target):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "writing"
    return process


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_writer_killed_mid_write_leaves_the_old_file_and_the_next_write_removes_its_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    process = start_writer(target)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert target.read_text() == "old"
    assert len(temporaries(tmp_path)) == 1  # left behind by the killed process
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and temporaries(tmp_path) == []


def test_the_temporary_file_of_a_live_writer_is_left_alone(tmp_path):
    target = tmp_path / "out.json"
    process = start_writer(target)
    try:
        write_text_atomic(target, "mine")
        assert len(temporaries(tmp_path)) == 1 and f".{process.pid}." in temporaries(tmp_path)[0]
    finally:
        process.kill()
        process.wait()
    assert remove_stale_temporaries(target) and temporaries(tmp_path) == []


def test_temporaries_of_other_files_are_not_touched(tmp_path):
    other = tmp_path / ".other.json.1.abc.tmp"
    other.write_text("x")
    write_text_atomic(tmp_path / "out.json", "y")
    assert other.exists()


def test_a_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "x.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_into_a_locked_folder_fails_at_once(tmp_path):
    code = ("import sys, time\nfrom missmodal._atomic import folder_lock\nwith folder_lock(sys.argv[1]):\n"
            "    print('locked', flush=True)\n    time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout.readline().strip() == "locked"
        with pytest.raises(MissmodalError, match=rf"another run is writing into this folder \(pid {process.pid}\)"):
            with folder_lock(tmp_path):
                pass
    finally:
        process.kill()
        process.wait()
    deadline = time.time() + 10
    while True:  # the kernel drops the lock with the process
        try:
            with folder_lock(tmp_path):
                break
        except MissmodalError:
            assert time.time() < deadline
            time.sleep(0.1)


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    with folder_lock(tmp_path), folder_lock(tmp_path):
        pass
    with folder_lock(tmp_path):
        pass
