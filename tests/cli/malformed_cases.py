"""Malformed (and tricky but valid) input files for the table-driven CLI suite, built locally and tiny.

Each case is a function ``(folder) -> path`` registered in :data:`CASES` with what a command must do:
``"error"`` (one line on stderr, exit code 2, mentioning ``match``) or ``"ok"`` (exit code 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N = 48
DIMS = {"a": 3, "b": 2}


def base_columns(n: int = N, seed: int = 0) -> dict[str, pa.Array]:
    """A valid dataset: id, binary int target, covariate age, modalities a (3) and b (2), b partly absent."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    a = (label[:, None] * 2.0 + rng.normal(size=(n, 3))).astype(np.float32)
    b = (label[:, None] * 1.5 + rng.normal(size=(n, 2))).astype(np.float32)
    b_missing = np.arange(n) % 4 == 1
    return {
        "id": pa.array([f"s{i}" for i in range(n)]),
        "target": pa.array(label.astype(np.int64)),
        "age": pa.array(rng.normal(50, 10, n)),
        "a": pa.FixedSizeListArray.from_arrays(pa.array(a.reshape(-1)), 3),
        "b": pa.FixedSizeListArray.from_arrays(pa.array(b.reshape(-1)), 2, mask=pa.array(b_missing)),
    }


# The footer missmodal writes, naming the covariate (unrecorded scalar columns are refused).
ROLES = {b"missmodal": json.dumps({"covariates": ["age"]}).encode()}


def write(folder: Path, name: str, columns: dict[str, pa.Array], metadata: dict | None = None) -> Path:
    table = pa.table(columns).replace_schema_metadata(ROLES if metadata is None else metadata)
    path = folder / f"{name}.parquet"
    pq.write_table(table, path)
    return path


def _list(values: list) -> pa.Array:
    return pa.array(values)


def good(folder):
    return write(folder, "good", base_columns())


def empty_lists(folder):
    columns = base_columns()
    columns["b"] = pa.array([[] for _ in range(N)], type=pa.list_(pa.float32()))
    return write(folder, "empty_lists", columns)


def nested_lists(folder):
    columns = base_columns()
    columns["b"] = pa.array([[[1.0, 2.0]] for _ in range(N)], type=pa.list_(pa.list_(pa.float32())))
    return write(folder, "nested_lists", columns)


def string_lists(folder):
    columns = base_columns()
    columns["b"] = pa.array([["x", "y"] for _ in range(N)], type=pa.list_(pa.string()))
    return write(folder, "string_lists", columns)


def duplicate_columns(folder):
    columns = base_columns()
    table = pa.Table.from_arrays([columns["id"], columns["target"], columns["a"], columns["a"], columns["b"]],
                                 names=["id", "target", "a", "a", "b"]).replace_schema_metadata(ROLES)
    path = folder / "duplicate_columns.parquet"
    pq.write_table(table, path)
    return path


def footer_not_json(folder):
    return write(folder, "footer_not_json", base_columns(), {b"missmodal": b"{not json"})


def footer_a_list(folder):
    return write(folder, "footer_a_list", base_columns(), {b"missmodal": b"[1, 2]"})


def footer_absent_target(folder):
    meta = json.dumps({"modalities": ["a", "b"], "target": "outcome"}).encode()
    return write(folder, "footer_absent_target", base_columns(), {b"missmodal": meta})


def footer_bad_modalities(folder):
    meta = json.dumps({"modalities": "a", "covariates": 3}).encode()
    return write(folder, "footer_bad_modalities", base_columns(), {b"missmodal": meta})


def _scaled(folder, name, factor):
    columns = base_columns()
    a = np.array(columns["a"].flatten()).reshape(N, 3) * factor
    columns["a"] = pa.FixedSizeListArray.from_arrays(pa.array(a.reshape(-1).astype(np.float32)), 3)
    return write(folder, name, columns)


def huge_1e20(folder):
    return _scaled(folder, "huge_1e20", 1e20)


def huge_1e30(folder):
    return _scaled(folder, "huge_1e30", 1e30)


def huge_covariate(folder):
    columns = base_columns()
    columns["age"] = pa.array(np.full(N, 1e300))
    return write(folder, "huge_covariate", columns)


def odd_first_row(folder):
    columns = base_columns()
    a = np.array(columns["a"].flatten()).reshape(N, 3).tolist()
    a[0] = a[0][:2]  # the first observed row is the odd one
    columns["a"] = pa.array(a, type=pa.list_(pa.float32()))
    return write(folder, "odd_first_row", columns)


def ragged_later_row(folder):
    columns = base_columns()
    a = np.array(columns["a"].flatten()).reshape(N, 3).tolist()
    a[7] = a[7] + [0.0]
    columns["a"] = pa.array(a, type=pa.list_(pa.float32()))
    return write(folder, "ragged_later_row", columns)


def corrupt_pages(folder):
    path = good(folder)
    raw = bytearray(path.read_bytes())
    start = 4 + 200  # inside the first column chunk's data, after the magic bytes
    raw[start:start + 400] = bytes((x ^ 0x5A) for x in raw[start:start + 400])
    target = folder / "corrupt_pages.parquet"
    target.write_bytes(bytes(raw))
    return target


def truncated(folder):
    raw = good(folder).read_bytes()
    target = folder / "truncated.parquet"
    target.write_bytes(raw[: len(raw) // 2])
    return target


def not_parquet(folder):
    target = folder / "not_parquet.parquet"
    target.write_text("id,target\n1,0\n")
    return target


def empty_file(folder):
    target = folder / "empty_file.parquet"
    target.write_bytes(b"")
    return target


def no_rows(folder):
    columns = {k: v.slice(0, 0) for k, v in base_columns().items()}
    return write(folder, "no_rows", columns)


def nan_in_embedding(folder):
    columns = base_columns()
    a = np.array(columns["a"].flatten()).reshape(N, 3)
    a[5, 1] = np.nan
    columns["a"] = pa.FixedSizeListArray.from_arrays(pa.array(a.reshape(-1)), 3)
    return write(folder, "nan_in_embedding", columns)


def null_target(folder):
    columns = base_columns()
    columns["target"] = pa.array([None] + list(range(1, N)) , type=pa.int64())
    return write(folder, "null_target", columns)


def struct_column(folder):
    columns = base_columns()
    columns["extra"] = pa.array([{"x": 1}] * N)
    return write(folder, "struct_column", columns)


def string_covariate(folder):
    columns = base_columns()
    columns["site"] = pa.array(["north"] * N)
    return write(folder, "string_covariate", columns)


def sample_without_modality(folder):
    columns = base_columns()
    mask = np.zeros(N, bool)
    mask[3] = True
    a = np.array(columns["a"].flatten())
    columns["a"] = pa.FixedSizeListArray.from_arrays(pa.array(a), 3, mask=pa.array(mask))
    b = np.array(columns["b"].values)
    b_mask = np.asarray(columns["b"].is_null()) | mask
    columns["b"] = pa.FixedSizeListArray.from_arrays(pa.array(b), 2, mask=pa.array(b_mask))
    return write(folder, "sample_without_modality", columns)


def never_observed(folder):
    columns = base_columns()
    columns["b"] = pa.array([None] * N, type=pa.list_(pa.float32(), 2))
    return write(folder, "never_observed", columns)


def variable_never_observed(folder):
    columns = base_columns()
    columns["b"] = pa.array([None] * N, type=pa.list_(pa.float32()))  # variable-length lists: no width in the file
    return write(folder, "variable_never_observed", columns)


def null_ids(folder):
    columns = base_columns()
    columns["id"] = pa.array([None if i == 3 else f"s{i}" for i in range(N)])
    return write(folder, "null_ids", columns)


def duplicate_ids(folder):
    columns = base_columns()
    columns["id"] = pa.array(["s0"] * N)
    return write(folder, "duplicate_ids", columns)


def float_coded_classes(folder):
    columns = base_columns()
    columns["target"] = pa.array(np.asarray(columns["target"]).astype(np.float64))
    return write(folder, "float_coded_classes", columns)


def string_labels(folder):
    columns = base_columns()
    columns["target"] = pa.array(np.where(np.asarray(columns["target"]) == 1, "yes", "no"))
    return write(folder, "string_labels", columns)


def pickled_npz(folder):
    target = folder / "pickled.npz"
    np.savez(target, **{"modality:a": np.array([{"x": 1}], dtype=object)})
    return target


# case name -> (builder, expected outcome, text the error must contain)
CASES = {
    "empty_lists": (empty_lists, "error", "'b'"),
    "nested_lists": (nested_lists, "error", "'b'"),
    "string_lists": (string_lists, "error", "'b'"),
    "duplicate_columns": (duplicate_columns, "error", "'a'"),
    "footer_not_json": (footer_not_json, "error", "metadata"),
    "footer_a_list": (footer_a_list, "error", "metadata"),
    "footer_absent_target": (footer_absent_target, "error", "'outcome'"),
    "footer_bad_modalities": (footer_bad_modalities, "error", "metadata"),
    "huge_1e20": (huge_1e20, "error", "'a'"),
    "huge_1e30": (huge_1e30, "error", "'a'"),
    "huge_covariate": (huge_covariate, "error", "'age'"),
    "odd_first_row": (odd_first_row, "error", "row 0"),
    "ragged_later_row": (ragged_later_row, "error", "row 7"),
    "corrupt_pages": (corrupt_pages, "error", "corrupt_pages.parquet"),
    "truncated": (truncated, "error", "truncated.parquet"),
    "not_parquet": (not_parquet, "error", "not_parquet.parquet"),
    "empty_file": (empty_file, "error", "empty_file.parquet"),
    "no_rows": (no_rows, "error", "no rows"),
    "nan_in_embedding": (nan_in_embedding, "error", "row 5"),
    "null_target": (null_target, "error", "row 0"),
    "struct_column": (struct_column, "error", "'extra'"),
    "string_covariate": (string_covariate, "error", "'site'"),
    "sample_without_modality": (sample_without_modality, "error", "row 3"),
    "never_observed": (never_observed, "error", "'b'"),
    "pickled_npz": (pickled_npz, "error", "pickled.npz"),
    "variable_never_observed": (variable_never_observed, "error", "'b'"),
    "null_ids": (null_ids, "error", "column 'id', row 3: id is missing"),
    "duplicate_ids": (duplicate_ids, "ok", None),
    "float_coded_classes": (float_coded_classes, "ok", None),
    "string_labels": (string_labels, "ok", None),
}


# Flat tables (CSV) read through a schema: id, y, a = a1,a2 and b = b1 (b missing in every third row).
FLAT_SCHEMA = ["--modality", "a=a1,a2", "--modality", "b=b1", "--target", "y", "--id", "id"]


def _flat_frame(n: int = N):
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"s{i}" for i in range(n)], "y": rng.integers(0, 2, n), "a1": rng.normal(size=n),
                          "a2": rng.normal(size=n), "b1": rng.normal(size=n)})
    frame.loc[frame.index % 3 == 0, "b1"] = np.nan
    return frame


def flat_good(folder):
    """A valid flat table with a categorical covariate ``site`` (read with FLAT_SCHEMA + ``--covariates site``)."""
    frame = _flat_frame()
    frame["site"] = ["A", "B", "C"] * (len(frame) // 3)
    frame.to_csv(folder / "flat_good.csv", index=False)
    return folder / "flat_good.csv"


def flat_huge(folder):
    frame = _flat_frame()
    frame["a1"] *= 1e30
    frame.to_csv(folder / "flat_huge.csv", index=False)
    return folder / "flat_huge.csv"


def flat_duplicate_columns(folder):
    path = folder / "flat_dup.csv"
    _flat_frame().to_csv(path, index=False)
    path.write_text(path.read_text().replace("a2", "a1", 1))
    return path


def flat_string_value(folder):
    frame = _flat_frame().astype({"a2": object})
    frame.loc[5, "a2"] = "oops"
    frame.to_csv(folder / "flat_str.csv", index=False)
    return folder / "flat_str.csv"


def flat_null_id(folder):
    frame = _flat_frame()
    frame.loc[4, "id"] = None
    frame.to_csv(folder / "flat_null_id.csv", index=False)
    return folder / "flat_null_id.csv"


FLAT_CASES = {
    "flat_null_id": (flat_null_id, "column 'id', row 4: id is missing"),
    "flat_huge": (flat_huge, "'a1', row 0"),
    "flat_duplicate_columns": (flat_duplicate_columns, "'a1'"),
    "flat_string_value": (flat_string_value, "row 5"),
}


# --- label files for models of every task (see test_malformed_model_folders.py) ---------------------------

def target_values(task: str, n: int = N) -> pa.Array:
    """A valid target of ``task``: classes 0, 1, 2 (multi-class), 3 labels of 0/1, floats (regression)."""
    rng = np.random.default_rng(1)
    if task == "multiclass":
        return pa.array((np.arange(n) % 3).astype(np.int64))
    if task == "multilabel":
        return pa.FixedSizeListArray.from_arrays(pa.array(rng.integers(0, 2, n * 3).astype(np.int64)), 3)
    if task == "regression":
        return pa.array(rng.normal(size=n))
    return base_columns(n)["target"]


def with_target(folder: Path, name: str, target: pa.Array) -> Path:
    """The good file with another target column."""
    return write(folder, name, {**base_columns(), "target": target})


def labelled(folder: Path, task: str) -> Path:
    return with_target(folder, f"labels-{task}", target_values(task))


#: Label files that do not fit a model of the task: (task, builder of the target, text the error must contain).
WRONG_LABELS = {
    "binary model, labels 1/2": ("binary", lambda: pa.array(np.arange(N) % 2 + 1), "class 2 not seen in training"),
    "binary model, labels 1/5": ("binary", lambda: pa.array(np.where(np.arange(N) % 2, 5, 1)), "class 5 not seen"),
    "binary model, labels 0.5/1.5": ("binary", lambda: pa.array(np.arange(N) % 2 + 0.5), "is not an integer"),
    "binary model, label strings": ("binary", lambda: pa.array(np.where(np.arange(N) % 2, "yes", "no")),
                                    "not seen in training"),
    "binary model, label matrix": ("binary", lambda: target_values("multilabel"), "needs one label per sample"),
    "multiclass model, labels 1/2/3": ("multiclass", lambda: pa.array(np.arange(N) % 3 + 1), "class 3 not seen"),
    "multiclass model, labels 0.5/1.5/2.5": ("multiclass", lambda: pa.array(np.arange(N) % 3 + 0.5), "not an integer"),
    "multiclass model, true/false": ("multiclass", lambda: pa.array(np.arange(N) % 2 == 1), "true/false labels"),
    "multiclass model, label matrix": ("multiclass", lambda: target_values("multilabel"), "one label per sample"),
    "multilabel model, one label per row": ("multilabel", lambda: target_values("multiclass"), "0/1 label matrix"),
    "multilabel model, 2 labels": ("multilabel", lambda: pa.FixedSizeListArray.from_arrays(
        pa.array((np.arange(N * 2) % 2).astype(np.int64)), 2), "got a 2-column matrix"),
    "regression model, label strings": ("regression", lambda: pa.array(np.where(np.arange(N) % 2, "yes", "no")),
                                        "but the model is a regression model"),
    "regression model, true/false": ("regression", lambda: pa.array(np.arange(N) % 2 == 1), "regression model"),
    "regression model, label matrix": ("regression", lambda: target_values("multilabel"), "one label per sample"),
}
