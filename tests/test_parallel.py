"""The thread and process policy (:mod:`missmodal._parallel`): workers are single-threaded, maps give the
same results in one process and in many, pools are not nested, bad job counts are refused."""

import os

import pytest

from missmodal._parallel import WORKER_FLAG, available_cores, ordered_map, process_map, resolve_jobs, single_threaded
from missmodal.errors import MissmodalError


def threads_seen(_):
    """What a mapped call sees: torch's threads, the BLAS pools' sizes, the worker flag, a nested pool's size."""
    import torch
    from threadpoolctl import threadpool_info

    return {"torch": torch.get_num_threads(), "blas": sorted({p["num_threads"] for p in threadpool_info()}),
            "worker": os.environ.get(WORKER_FLAG), "nested_jobs": resolve_jobs(None), "pid": os.getpid()}


def seeded_draw(seed):
    import torch

    torch.manual_seed(seed)
    layer = torch.nn.Linear(40, 30)
    with torch.no_grad():
        return float(layer(torch.randn(64, 40)).pow(2).sum())


def inverse(x):
    return 1 / x


def test_resolve_jobs():
    assert resolve_jobs(3) == 3
    assert resolve_jobs(None) == resolve_jobs(-1) == available_cores() >= 1
    for bad in (0, -2, 1.5, True):
        with pytest.raises(MissmodalError, match="jobs must be a positive integer"):
            resolve_jobs(bad)


def test_serial_map_is_single_threaded_and_restores_threads():
    import torch

    before = torch.get_num_threads()
    seen = ordered_map(threads_seen, [0, 1], jobs=1)
    assert all(s["torch"] == 1 and s["blas"] in ([], [1]) and s["pid"] == os.getpid() for s in seen)
    assert torch.get_num_threads() == before
    with single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_workers_are_single_threaded_and_do_not_nest_pools(monkeypatch):
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "2")  # what a worker would inherit without the policy
    seen = ordered_map(threads_seen, [0, 1, 2, 3], jobs=2)
    assert {s["pid"] for s in seen} - {os.getpid()}, "the calls ran in worker processes"
    assert os.getpid() not in {s["pid"] for s in seen}
    for s in seen:
        assert s["torch"] == 1 and s["blas"] in ([], [1]) and s["worker"] == "1" and s["nested_jobs"] == 1
    assert os.environ.get(WORKER_FLAG) is None  # the parent is not marked as a worker


def test_parallel_map_equals_serial_map_in_order():
    seeds = [3, 1, 4, 1, 5]
    assert ordered_map(seeded_draw, seeds, jobs=2) == ordered_map(seeded_draw, seeds, jobs=1)
    assert sorted(index for index, _ in process_map(seeded_draw, seeds, jobs=2)) == list(range(5))


def test_an_error_in_a_worker_propagates():
    with pytest.raises(ZeroDivisionError):
        ordered_map(inverse, [1, 0, 2], jobs=2)
