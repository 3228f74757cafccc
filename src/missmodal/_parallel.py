"""The thread and process policy of the package: small fits on one thread, parallelism across processes.

The models, imputers and estimators of this package are small (hundreds to a few thousand rows, widths
of tens to hundreds): one intra-op thread does their matrix products as fast as several, and on a busy
machine several threads per process lose most of their time waiting for a core (three epochs of
``attention`` on 5,000 samples took 45.7 s of CPU with torch's default threads and 6.3 s with one, on
2 shared cores). So the work that has many independent parts (benchmark cells, ``auto`` candidates,
refitted resamples) runs in ``jobs`` separate processes, each on one thread:

* :func:`single_threaded` limits torch and the BLAS/OpenMP pools to one thread inside a block;
* :func:`process_map` maps a picklable function over items in ``jobs`` spawned processes (each started
  single-threaded), yielding ``(index, result)`` as each finishes; with one job, or inside a worker
  (pools are never nested), it runs the same function in this process under :func:`single_threaded`,
  so serial and parallel runs compute the same numbers;
* :func:`resolve_jobs` turns ``None``/``-1`` into the cores this process may use.

A large model or batch may still use threads: call it outside these helpers (e.g. ``missmodal impute
--threads``).

Examples
--------
>>> from missmodal._parallel import process_map, resolve_jobs
>>> sorted(process_map(abs, [-2, 3, -1], jobs=1))
[(0, 2), (1, 3), (2, 1)]
>>> resolve_jobs(3)
3
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, Callable, Iterator, Sequence

from .errors import MissmodalError

#: Set in every worker process of :func:`process_map`: a worker runs nested maps serially.
WORKER_FLAG = "MISSMODAL_WORKER"
#: Environment variables that size the native thread pools; a spawned worker starts with each set to 1.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def in_worker() -> bool:
    """Whether this process is a worker of :func:`process_map`."""
    return os.environ.get(WORKER_FLAG) == "1"


def resolve_jobs(jobs: int | None, what: str = "jobs") -> int:
    """Processes to use: ``None`` or ``-1`` mean :func:`available_cores`; 1 inside a worker; else ``jobs`` (>= 1)."""
    if jobs is None or jobs == -1:
        jobs = available_cores()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise MissmodalError(f"{what} must be a positive integer or -1 (all cores), got {jobs!r}")
    return 1 if in_worker() else jobs


@contextmanager
def single_threaded() -> Iterator[None]:
    """Limit torch's intra-op threads and the BLAS/OpenMP pools to 1 for the block, then restore them."""
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)


def _start_worker() -> None:
    """Initializer of a spawned worker: one thread for torch and every native pool, for good."""
    import torch
    from threadpoolctl import threadpool_limits

    os.environ[WORKER_FLAG] = "1"
    torch.set_num_threads(1)
    threadpool_limits(limits=1)


@contextmanager
def _worker_environment() -> Iterator[None]:
    """The environment a spawned worker inherits: native pools of one thread, the worker flag set."""
    saved = {name: os.environ.get(name) for name in (*THREAD_VARIABLES, WORKER_FLAG)}
    os.environ.update({name: "1" for name in (*THREAD_VARIABLES, WORKER_FLAG)})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def process_map(function: Callable[[Any], Any], items: Sequence[Any], jobs: int | None = 1) -> Iterator[tuple[int, Any]]:
    """``(index, function(items[index]))`` for every item, in the order they finish.

    With ``jobs`` > 1 (after :func:`resolve_jobs`) and more than one item, the calls run in that many
    processes of the ``spawn`` start method (no state is inherited: a worker computes what a fresh
    process would), each limited to one thread; ``function``, the items and the results must pickle.
    Otherwise they run here, one after another, under :func:`single_threaded`. An exception raised by
    ``function`` propagates (catch it inside ``function`` to let the other items go on).
    """
    items = list(items)
    jobs = min(resolve_jobs(jobs), len(items)) if items else 1
    if jobs <= 1:
        with single_threaded():
            for index, item in enumerate(items):
                yield index, function(item)
        return
    with _worker_environment():
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_start_worker)
        try:
            futures = {pool.submit(function, item): index for index, item in enumerate(items)}
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.__getitem__):
                yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(function: Callable[[Any], Any], items: Sequence[Any], jobs: int | None = 1) -> list[Any]:
    """``[function(item) for item in items]`` computed by :func:`process_map` (same order as ``items``)."""
    results: list[Any] = [None] * len(items)
    for index, result in process_map(function, items, jobs):
        results[index] = result
    return results
