"""Early stopping: the patience count restarts only on a rise of more than ``min_delta``, while the selected
epoch is still the one of the highest validation metric."""

import numpy as np
import pytest

from missmodal.errors import MissmodalError
from missmodal.train import TrainConfig, fit_model


def run(data, **settings):
    train, val = data.split((0.75, 0.25), seed=0)
    # a small learning rate: validation accuracy climbs over the first epochs, so a stop rule can be told apart
    return fit_model(train, val, model="late", seed=0, batch_size=32, calibrate=False, lr=1e-4, **settings)


def test_a_rise_no_larger_than_min_delta_does_not_postpone_the_stop(data):
    fitted = run(data, epochs=40, patience=3, min_delta=1.0)  # accuracy can never rise by more than 1
    assert fitted.info["epochs_run"] == 1 + 3  # the first epoch sets the reference, three more without progress
    scores = [r["val_mean"] for r in fitted.history]
    assert scores[1] > scores[0]  # it did rise: a rule without min_delta would have gone on
    assert fitted.info["best_epoch"] == int(np.argmax(scores)) + 1  # the highest score is still selected


def test_a_small_rise_is_selected_but_does_not_restart_the_count(data):
    fitted = run(data, epochs=40, patience=2, min_delta=0.1)
    scores = [r["val_mean"] for r in fitted.history]
    reference, bad = -np.inf, 0
    for epoch, score in enumerate(scores):
        reference, bad = (score, 0) if score > reference + 0.1 else (reference, bad + 1)
        if bad >= 2:
            break
    assert fitted.info["epochs_run"] == epoch + 1 < 40
    assert fitted.info["best_epoch"] == int(np.argmax(scores)) + 1


def test_min_delta_zero_stops_as_the_plain_patience_rule(data):
    fitted = run(data, epochs=12, patience=2, min_delta=0.0)
    scores = [r["val_mean"] for r in fitted.history]
    best, bad, stop = -np.inf, 0, len(scores)
    for epoch, score in enumerate(scores):
        best, bad = (score, 0) if score > best else (best, bad + 1)
        if bad >= 2:
            stop = epoch + 1
            break
    assert fitted.info["epochs_run"] == stop


def test_negative_min_delta_is_refused():
    with pytest.raises(MissmodalError, match="min_delta must be >= 0"):
        TrainConfig(min_delta=-0.1)
