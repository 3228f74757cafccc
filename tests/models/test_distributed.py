"""DDP under torchrun (gloo, CPU) follows the single-process run of the same global batches."""

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import torch
from model_data import make_data

from missmodal.data import write_data
from missmodal.train import fit_model

SETTINGS = dict(model="attention", loss="group-dro", epochs=4, batch_size=32, seed=0, lr=2e-3, patience=None,
                warmup_epochs=1, loss_params={"step_size": 0.01, "adjustment": 0.0})


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")
def test_two_process_torchrun_matches_the_single_process_loss_curve(tmp_path):
    data = make_data(n=150)
    write_data(data, tmp_path / "tiny.npz")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={port}", "-m", "missmodal",
               "train", str(tmp_path / "tiny.npz"), "--model", "attention", "--loss", "group-dro", "--epochs", "4",
               "--batch-size", "32", "--seed", "0", "--warmup-epochs", "1", "--dropout", "0", "--modality-dropout", "0",
               "--lr", "0.002", "--no-diagnostics",
               "--output", str(tmp_path / "ddp")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
    try:
        _, stderr = launcher.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and both workers
        raise
    assert launcher.returncode == 0, stderr[-2000:]
    history = json.loads((tmp_path / "ddp" / "history.json").read_text())
    assert history["info"]["world_size"] == 2
    single = fit_model(data, model_params={"dropout": 0.0, "width": 64, "modality_dropout": 0.0}, **SETTINGS)
    ddp_curve = [epoch["train_loss"] for epoch in history["epochs"]]
    single_curve = [epoch["train_loss"] for epoch in single.history]
    assert ddp_curve == pytest.approx(single_curve, rel=1e-4, abs=1e-5)
    assert [e["val_mean"] for e in history["epochs"]] == pytest.approx([e["val_mean"] for e in single.history])
