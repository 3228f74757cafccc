"""`torchscript:FILE` and `python:package.module:function` encoders."""

import warnings

import numpy as np
import pytest
import torch

from missmodal.encode import build_encoder
from missmodal.errors import MissmodalError


def test_torchscript_applies_the_scripted_module(torchscript_file):
    signals = [np.random.default_rng(i).normal(size=(3, 8)).astype(np.float32) for i in range(5)]
    encoder = build_encoder(f"torchscript:{torchscript_file}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        module = torch.jit.load(str(torchscript_file))
    with torch.no_grad():
        expected = module(torch.from_numpy(np.stack(signals))).numpy()
    np.testing.assert_allclose(encoder.encode(signals), expected, atol=1e-6)
    assert encoder.dim == 4


def test_torchscript_refuses_items_of_different_shapes(torchscript_file):
    with pytest.raises(MissmodalError, match="differ in shape"):
        build_encoder(f"torchscript:{torchscript_file}").encode([np.zeros((3, 8)), np.zeros((3, 9))])


def test_torchscript_refuses_a_file_that_is_not_torchscript(tmp_path):
    (tmp_path / "x.pt").write_bytes(b"junk")
    with pytest.raises(MissmodalError, match="not a TorchScript file"):
        build_encoder(f"torchscript:{tmp_path / 'x.pt'}").encode([np.zeros(3)])


def test_python_function_receives_the_raw_cells(tmp_path, monkeypatch):
    (tmp_path / "my_encoders.py").write_text("def lengths(items):\n    return [[len(s), s.count('a')] for s in items]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    encoder = build_encoder("python:my_encoders:lengths")
    np.testing.assert_array_equal(encoder.encode(["banana", "kiwi"]), [[6, 3], [4, 0]])
    assert encoder.dim == 2 and len(encoder.weights_hash()) == 64


@pytest.mark.parametrize("spec, message", [("python:nope_module_x:f", "cannot import"), ("python:os:nothing", "no function"),
                                           ("python:os", "expected python:package.module:function")])
def test_python_spec_errors(spec, message):
    with pytest.raises(MissmodalError, match=message):
        build_encoder(spec)
