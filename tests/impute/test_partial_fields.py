"""Imputers fill the missing fields inside partly observed blocks (``field_observed``), not only missing blocks."""

import numpy as np
import pytest
from click.testing import CliRunner

from missmodal.cli import main
from missmodal.data.clinical import REGISTRY_SCHEMA, registry_table
from missmodal.data.schema import from_table
from missmodal.impute import make_imputer

FAST = {"generative": {"epochs": 3, "hidden": 16, "random_state": 0}, "cluster": {"n_clusters": 3, "random_state": 0},
        "iterative": {"random_state": 0}}


@pytest.fixture(scope="module")
def cohort():
    table = registry_table(200, seed=1)
    return table, from_table(table, schema=REGISTRY_SCHEMA)


def partial_rows(data, name):
    """Rows whose block ``name`` counts as observed but misses some fields, and their field gaps."""
    present = data.field_observed[name]
    rows = np.flatnonzero(data.observed[:, data.modality_index(name)] & ~present.all(axis=1))
    return rows, ~present[rows]


@pytest.mark.parametrize("name", ["knn", "iterative", "cluster", "generative"])
def test_missing_fields_take_the_imputers_fill_of_the_block_given_the_other_modalities(name, cohort):
    _, data = cohort
    imputer = make_imputer(name, **FAST.get(name, {})).fit(data)
    out = imputer.transform(data)
    expected = 0
    for modality in ("labs", "lipids"):
        rows, gaps = partial_rows(data, modality)
        assert rows.size and gaps.any()
        expected += int(gaps.sum())
        m = data.modality_index(modality)
        hidden = data.observed.copy()
        hidden[rows, m] = False
        alone = imputer.transform(data.subset(rows).replace(observed=hidden[rows], field_observed=None))
        filled, schema_fill = out.modalities[modality][rows], data.modalities[modality][rows]
        np.testing.assert_allclose(filled[gaps], alone.modalities[modality][gaps], rtol=1e-5, atol=1e-5)
        others = np.delete(hidden[rows], m, axis=1).any(axis=1)  # rows with another modality to go by
        assert others.sum() > 0.8 * rows.size
        assert not np.isclose(filled[others][gaps[others]], schema_fill[others][gaps[others]]).any()  # not the mean
        assert np.array_equal(filled[~gaps], schema_fill[~gaps])  # present fields kept bit for bit
    assert out.metadata["imputation"]["imputed_fields"] == expected
    assert out.field_observed is None and out.observed.all()


def test_fields_kept_where_the_block_counts_as_missing(cohort):
    table, data = cohort
    out = make_imputer("knn").fit(data).transform(data)
    registry = (table["source"] == "registry").to_numpy()
    exam = data.modality_index("exam")
    assert not data.observed[registry, exam].any()  # weight alone does not make the exam block observed
    np.testing.assert_array_equal(out.modalities["exam"][registry, 0], table["weight"].to_numpy()[registry].astype(np.float32))
    assert np.isfinite(out.modalities["exam"]).all()


def test_cli_counts_the_filled_fields(cohort, tmp_path):
    table, data = cohort
    table.to_csv(tmp_path / "registry.csv", index=False)
    schema = [a for name, fields in REGISTRY_SCHEMA.modalities.items() for a in ("--modality", f"{name}={','.join(fields)}")]
    result = CliRunner().invoke(main, ["impute", str(tmp_path / "registry.csv"), *schema, "--target", "outcome",
                                       "--id", "id", "--covariates", "age,sex,source", "--method", "knn",
                                       "-o", str(tmp_path / "out.parquet")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    count = sum(int(partial_rows(data, m)[1].sum()) for m in data.field_observed)
    assert f"and {count} missing fields inside partly observed blocks by knn" in result.output
