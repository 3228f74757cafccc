"""The bench cache never reuses a cell computed on other data, code or settings, and a resumed run equals
an uninterrupted one except for the documented timing and bookkeeping fields."""

import json

import pytest
from test_bench import small_config

from missmodal.bench import plan, run_bench, run_cell, run_grid
from missmodal.bench.cache import CellCache, fingerprint
from missmodal.bench.runner import without_timings

def write_user_file(path, seed):
    from missmodal.data import load_dataset, simulate_missingness, write_data

    data = load_dataset("latent", n_samples=120, n_modalities=3, dim=4, seed=seed)
    write_data(simulate_missingness(data, "mcar", rate=0.3, seed=seed), path)


def test_a_file_replaced_under_the_same_path_gets_new_cells(tmp_path):
    path = tmp_path / "mine.parquet"
    write_user_file(path, seed=0)
    config = small_config(datasets=[{"path": str(path), "target": "target"}], sections=["imputation"], imputers=["mean"])
    first = run_grid(config, tmp_path / "out")
    write_user_file(path, seed=1)
    second = run_grid(config, tmp_path / "out")
    assert second.computed == len(plan(config)) and second.cached == 0
    assert first.cells[0]["fingerprint"]["data"] != second.cells[0]["fingerprint"]["data"]
    assert run_grid(config, tmp_path / "out").cached == len(plan(config))


def test_a_cell_stored_under_another_code_fingerprint_is_not_reused(tmp_path, monkeypatch):
    config = small_config(sections=["audit"], scenarios=small_config().scenarios[:1])
    run_grid(config, tmp_path)
    spec = plan(config)[0]
    stored = json.loads(CellCache(tmp_path).path(spec).read_text())
    assert stored["fingerprint"] == fingerprint(spec)
    stored["fingerprint"]["code"] = "0" * 16  # as written by other code under the same key
    CellCache(tmp_path).path(spec).write_text(json.dumps(stored))
    assert CellCache(tmp_path).get(spec) is None


@pytest.mark.slow
def test_an_interrupted_then_resumed_bench_equals_an_uninterrupted_one(tmp_path):
    config = small_config(sections=["audit", "imputation"], imputers=["zero", "mean"], seeds=[0, 1],
                          scenarios=small_config().scenarios[:1])
    straight = run_bench(config, tmp_path / "straight")
    calls = []

    def interrupted(spec):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(spec)
        return run_cell(spec)

    with pytest.raises(KeyboardInterrupt):
        run_grid(config, tmp_path / "resumed", compute=interrupted)
    resumed = run_bench(config, tmp_path / "resumed")
    assert resumed["cells"]["cached"] == 2 and resumed["cells"]["computed"] == len(plan(config)) - 2
    on_disk = [json.loads((tmp_path / name / "results.json").read_text()) for name in ("straight", "resumed")]
    assert without_timings(on_disk[0]) == without_timings(on_disk[1])
    assert without_timings(json.loads(json.dumps(straight, default=str))) == without_timings(json.loads(json.dumps(resumed, default=str)))
