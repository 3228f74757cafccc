"""Tiny encoders built locally: random-weight Hugging Face text/image models, a TorchScript module, images.

Every test of this folder runs with the network cut: opening a socket raises, so any attempted download fails.
"""

import os
import socket
import warnings

import pytest

from encode_fixtures import WORDS, NetworkAttempted


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail the test if anything opens a network connection (a download attempt)."""
    def refuse(*args, **kwargs):
        raise NetworkAttempted(f"network access attempted: {args[1:] or kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def hf_text_dir(tmp_path_factory):
    """A random-weight 2-layer BERT (hidden 32) and its word-level tokenizer, saved with save_pretrained."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory = tmp_path_factory.mktemp("hf_text")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(directory)
    BertTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def hf_image_dir(tmp_path_factory):
    """A random-weight 1-layer ViT (32x32 images, 8x8 patches, hidden 16) and its image processor."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    directory = tmp_path_factory.mktemp("hf_image")
    torch.manual_seed(0)
    ViTModel(ViTConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                       image_size=32, patch_size=8)).save_pretrained(directory)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def torchscript_file(tmp_path_factory):
    """A scripted module: (n, 3, 8) signals -> (n, 4) by a fixed linear map of their per-channel means."""
    import torch

    class Pool(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(x.mean(dim=-1))

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ts") / "pool.pt"
    with warnings.catch_warnings():  # torch >= 2.10 deprecates TorchScript; users still have such files
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.jit.script(Pool()).save(str(path))
    return path
