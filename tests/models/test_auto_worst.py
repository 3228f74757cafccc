"""`auto --selection worst`: the ensemble is selected and weighted by the worst-group validation accuracy,
with rare validation groups pooled, and the output says so."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from model_data import make_data

from missmodal.cli import main
from missmodal.data import write_data
from missmodal.models import greedy_selection
from missmodal.errors import MissmodalError
from missmodal.train import TrainConfig, fit_model
from missmodal.train.auto import (DEFAULT_CANDIDATES, TAIL_CANDIDATES, candidate_spec, candidates_for, fit_candidate,
                                  pooled_validation_groups)


def members_head_vs_tail():
    """Member ``head`` is confident and right on the 90 head samples, at chance on the 10 tail ones; member
    ``tail`` is right but unsure on all 100. The loss prefers ``head``; the worst group prefers ``tail``."""
    target = np.array([0, 1] * 50)
    groups = np.array([0] * 90 + [1] * 10)
    onehot = np.eye(2)[target]
    head = np.where(groups[:, None] == 0, onehot * 0.98 + 0.01, 1 - (onehot * 0.9 + 0.05))
    tail = onehot * 0.5 + 0.25
    return [head, tail], target, groups


def test_loss_selection_picks_the_head_member_and_worst_selection_the_tail_member():
    scores, target, groups = members_head_vs_tail()
    by_loss, _ = greedy_selection(scores, target, "binary", [0, 1])
    by_worst, _ = greedy_selection(scores, target, "binary", [0, 1], groups=groups)
    assert by_loss[0] > 0.5
    assert by_worst[1] > 0.5
    blend = by_worst[0] * scores[0] + by_worst[1] * scores[1]
    assert (blend.argmax(axis=1)[groups == 1] == target[groups == 1]).all()


def test_rare_validation_groups_are_pooled_into_their_nearest_frequent_superset():
    observed = np.array([[1, 1, 1]] * 12 + [[1, 1, 0]] * 11 + [[1, 0, 0]] * 3 + [[0, 0, 1]] * 2, dtype=bool)
    data = make_data(n=len(observed), observed=observed)
    groups = pooled_validation_groups(data, min_group_size=10)
    assert len(np.unique(groups)) == 2  # {m0}: 3 samples -> m0+m1 (one extra modality); {m2}: 2 -> all three
    assert (groups[23:26] == groups[12]).all() and (groups[26:] == groups[0]).all()


def test_film_is_an_auto_candidate_by_default():
    assert "film" in DEFAULT_CANDIDATES


def test_worst_selection_adds_the_excess_loss_film_where_the_task_allows_it():
    assert candidates_for("binary", None, "worst")[0] == [*DEFAULT_CANDIDATES, *TAIL_CANDIDATES]
    assert "film+group-dro-excess" in TAIL_CANDIDATES
    assert candidates_for("binary", None, "mean")[0] == list(DEFAULT_CANDIDATES)
    usable, left_out = candidates_for("multilabel", ["late", "film+group-dro-excess"], "worst")
    assert usable == ["late"] and left_out == ["film+group-dro-excess"]


@pytest.mark.parametrize("name", ["film+nope", "logistic+group-dro", "nope", "film+"])
def test_a_candidate_is_a_model_or_a_network_plus_a_loss(name):
    assert candidate_spec("film+group-dro") == ("film", "group-dro") and candidate_spec("gbdt") == ("gbdt", None)
    if name == "film+":
        assert candidate_spec(name) == ("film", None)
        return
    with pytest.raises(MissmodalError, match="network\\+loss"):
        candidate_spec(name)


def test_a_network_plus_loss_candidate_is_trained_with_that_loss():
    train, val = make_data(n=160, task="binary").split((0.7, 0.3), seed=0)
    fitted = fit_model(train, val, model="auto", candidates=["late", "late+group-dro-excess"], epochs=2, jobs=1, seed=0,
                       selection="worst", min_group_size=3)
    rows = {row["name"]: row for row in fitted.info["auto"]["candidates"]}
    assert set(rows) == {"late", "late+group-dro-excess"}
    member = fit_candidate("late+group-dro-excess", train, val, TrainConfig(epochs=2, seed=0), {}, None)
    assert member.info["train"]["loss"] == "group-dro-excess" and member.info["reference_losses"]
    assert fit_candidate("late", train, val, TrainConfig(epochs=2, seed=0), {}, None).info["train"]["loss"] == "erm"


def test_cli_auto_selection_worst_says_so_and_records_the_worst_group(tmp_path):
    write_data(make_data(n=200, task="binary"), tmp_path / "train.npz")
    result = CliRunner().invoke(main, ["train", str(tmp_path / "train.npz"), "--model", "auto", "--candidates", "logistic,late",
                                       "--epochs", "2", "--selection", "worst", "--min-group-size", "5",
                                       "--output", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "worst-group validation accuracy" in result.output and "val worst" in result.output
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    auto = history["info"]["auto"]
    assert 0 <= auto["ensemble_val_worst"] <= 1 and all("val_worst" in row for row in auto["candidates"])
    assert sum(json.loads(result.output.strip().splitlines()[-1])["members"].values()) == pytest.approx(1)
