"""`auto` candidates fitted in parallel single-threaded processes give the ensemble fitted one after another."""

import numpy as np
from model_data import make_data

from missmodal.train import fit_model


def test_parallel_candidates_give_the_serial_ensemble():
    data = make_data(n=200, task="binary")
    train, val = data.split((0.75, 0.25), seed=0)
    runs = [fit_model(train, val, model="auto", candidates=["logistic", "late", "attention"], epochs=3, seed=0, jobs=jobs)
            for jobs in (1, 2)]
    rows = [[{k: v for k, v in row.items() if k != "seconds"} for row in run.info["auto"]["candidates"]] for run in runs]
    assert rows[0] == rows[1] and [r["name"] for r in rows[0]] == ["logistic", "late", "attention"]
    assert np.array_equal(runs[0].scores(data), runs[1].scores(data))
