"""Fixtures of the model and training tests: tiny data, one torch thread per test."""

import pytest
import torch
from model_data import make_data

from missmodal import MultimodalData


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest (and reproducibly) on one thread; restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def data() -> MultimodalData:
    return make_data()
