"""No command overwrites its input: outputs that resolve to an input, or into a model folder being read,
are refused before any computation, with a one-line error and exit code 2."""

import os

import pytest
from click.testing import CliRunner
from malformed_cases import good

from missmodal._paths import guard_outputs
from missmodal.cli import main
from missmodal.errors import MissmodalError


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paths")
    data = good(folder)
    result = CliRunner().invoke(main, ["train", str(data), "-o", str(folder / "run"), "--epochs", "1", "--width", "8",
                                       "--no-diagnostics"])
    assert result.exit_code == 0, result.output
    return folder


def refused(args, protected):
    before = {p: p.read_bytes() for p in protected}
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert all(p.read_bytes() == before[p] for p in protected), "an input was modified"
    return errors[0]


@pytest.mark.parametrize("args", [
    ["simulate", "{data}", "--rate", "0.5", "-o", "{data}"],
    ["impute", "{data}", "--method", "mean", "-o", "{data}"],
    ["audit", "{data}", "--json", "{data}"],
    ["audit", "{data}", "--html", "{data}"],
    ["informativeness", "{data}", "--json", "{data}"],
    ["predict", "{run}", "{data}", "-o", "{data}"],
    ["evaluate", "{run}", "{data}", "--json", "{data}"],
    ["convert", "{data}", "-o", "{data}"],
    ["encode", "{data}", "--encoder", "a=tfidf", "-o", "{data}"],
])
def test_an_output_equal_to_the_input_is_refused(run_folder, args):
    data = run_folder / "good.parquet"
    message = refused([a.format(data=data, run=run_folder / "run") for a in args], [data])
    assert "is the input file" in message


def test_an_output_that_is_a_symlink_to_the_input_is_refused(run_folder, tmp_path):
    data = run_folder / "good.parquet"
    link = tmp_path / "out.parquet"
    link.symlink_to(data)
    assert "is the input file" in refused(["simulate", data, "-o", link], [data])


def test_an_output_that_is_a_hard_link_to_the_input_is_refused(run_folder, tmp_path):
    data = run_folder / "good.parquet"
    link = tmp_path / "hard.parquet"
    os.link(data, link)
    assert "is the input file" in refused(["audit", data, "--json", link], [data])


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_an_output_inside_the_model_folder_being_read_is_refused(run_folder, command):
    run, data = run_folder / "run", run_folder / "good.parquet"
    files = [run / "model.json", run / "model.safetensors"]
    option = "--json" if command == "evaluate" else "-o"
    target = run / ("model.json" if command == "evaluate" else "predictions.csv")
    message = refused([command, run, data, option, target], files)
    assert "inside the model folder" in message


def test_train_refuses_a_run_folder_whose_files_would_overwrite_the_data(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    data = good(tmp_path)
    (folder / "model.json").write_bytes(data.read_bytes())  # the data stored under a run-file name
    message = refused(["train", folder / "model.json", "-o", folder, "--epochs", "1"], [folder / "model.json"])
    assert "which is the input" in message


def test_two_outputs_of_one_run_may_not_be_the_same_file(run_folder, tmp_path):
    data = run_folder / "good.parquet"
    message = refused(["audit", data, "--json", tmp_path / "r", "--html", tmp_path / "r"], [data])
    assert "same file as --json" in message


def test_an_unwritable_output_folder_is_reported_before_the_computation(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MissmodalError, match=r"--output .*: .*file.* is a file, not a folder"):
        guard_outputs({"--output": blocker / "sub" / "out.parquet"})


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_output_folder_is_reported_naming_the_output(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(MissmodalError, match=r"--json .*out.json: folder .* is not writable"):
            guard_outputs({"--json": folder / "out.json"})
    finally:
        folder.chmod(0o700)


def test_dataset_names_and_fresh_outputs_pass(tmp_path):
    guard_outputs({"--output": tmp_path / "new" / "x.parquet"}, inputs=["mfeat", None], read_folders=[None])


def test_a_second_train_into_a_folder_being_written_is_refused(tmp_path):
    import subprocess
    import sys

    code = ("import sys, time\nfrom missmodal._atomic import folder_lock\nwith folder_lock(sys.argv[1]):\n"
            "    print('locked', flush=True)\n    time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "locked"
        data = good(tmp_path)
        result = CliRunner().invoke(main, ["train", str(data), "-o", str(tmp_path / "run"), "--epochs", "1"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2 and "another train run is writing into this folder" in result.output
    assert not (tmp_path / "run" / "model.json").exists()
