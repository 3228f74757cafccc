"""The one model registry: kinds, views, errors, and no import circle inside missmodal.models."""

import ast
from pathlib import Path

import pytest

import missmodal.models
from missmodal import MissmodalError
from missmodal.models import ENSEMBLE, MODELS, NETWORKS, TABULAR, EnsembleModel, FusionModel, TabularModel
from missmodal.models.registry import ModelRegistry


def test_every_model_has_one_kind():
    assert set(NETWORKS.names()) >= {"concat", "missing-token", "attention", "late", "flexmoe", "remind"}
    assert set(TABULAR.names()) >= {"logistic", "gbdt"}
    assert MODELS.names("ensemble") == [ENSEMBLE]
    assert sorted(MODELS.names()) == sorted([*NETWORKS.names(), *TABULAR.names(), ENSEMBLE])
    for name in NETWORKS:
        assert issubclass(MODELS.get(name), FusionModel)
    for name in TABULAR:
        assert issubclass(MODELS.get(name), TabularModel)
    assert MODELS.get(ENSEMBLE) is EnsembleModel


def test_views_and_errors():
    assert "logistic" in TABULAR and "logistic" not in NETWORKS and "remind" in NETWORKS
    with pytest.raises(MissmodalError, match="unknown network model 'gbdt'"):
        NETWORKS.get("gbdt")
    with pytest.raises(MissmodalError, match="known: .*auto.*gbdt.*remind"):
        MODELS.kind_of("nope")
    registry = ModelRegistry()
    with pytest.raises(ValueError, match="kind"):
        registry.register("x", kind="other")


#: The layers of missmodal.models, bottom first: a module may import only modules before it.
LAYERS = ["registry", "layers", "calibration", "hazard", "labels", "preprocess", "predictor", "base", "validation",
          "files", "schema", "fusion", "film", "moe", "fitted", "tabular", "cox", "coxboost", "ensemble"]


def test_models_modules_import_only_downwards():
    """Every relative import inside missmodal.models (at the top or inside a function) points to a lower layer,
    so the package has no import circle."""
    folder = Path(missmodal.models.__file__).parent
    assert sorted(LAYERS) == sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    for module in LAYERS:
        tree = ast.parse((folder / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
                for target in targets:
                    assert LAYERS.index(target) < LAYERS.index(module), f"{module} imports {target}"
