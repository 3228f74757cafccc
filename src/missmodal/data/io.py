"""Reading and writing `MultimodalData`: Parquet (list or column-block layout), ``.npz``, row batches.

See :mod:`missmodal.data.arrow` for the Parquet layout. Every malformed input raises
:class:`~missmodal.errors.DataFormatError` naming the file, column, row and problem; writes are atomic.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._atomic import atomic_path
from ..errors import DataFormatError, MissmodalError
from .arrow import _jsonable, common_length, data_to_table, infer_roles, table_to_data
from .limits import check_magnitude
from .multimodal import MultimodalData

NPZ_MODALITY_PREFIX = "modality:"
NPZ_FIELDS_PREFIX = "fields:"  # field-level mask of a partly observable modality


def _open_parquet(path: Path) -> pq.ParquetFile:
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, expected a .parquet or .npz file")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataFormatError(f"{path}: not a Parquet file ({str(error).splitlines()[0]})") from None


def read_data(path: str | os.PathLike, target: str | None = None, id_column: str | None = "id",
              modalities: list[str] | None = None, covariates: list[str] | None = None,
              task: str | None = None, ignore: list[str] | None = None,
              require_all_observed: bool = True, require_target: bool = True,
              dims: dict[str, int] | None = None) -> MultimodalData:
    """Read a Parquet or ``.npz`` file into memory, validating every value.

    Parameters
    ----------
    path : path of a ``.parquet`` (or any Parquet file) or ``.npz`` file.
    target : name of the target column (default: recorded by missmodal, else ``target``/``label``/``y``).
    id_column : name of the id column, used when present.
    modalities, covariates : column roles (list columns and ``<m>__<j>`` blocks are modalities; numeric
        columns are covariates only when named here or recorded by missmodal).
    task : override the inferred task (e.g. ``"multiclass"`` for float-coded classes).
    ignore : scalar columns to leave out (any other unnamed scalar column is an error).
    require_all_observed : each modality must be observed in some row (training); False for prediction,
        where a batch of one patient may lack a modality.
    require_target : False for prediction: the target column recorded in the file's roles may be absent.
    dims : known widths of the modalities (a trained model's), used with ``require_all_observed=False`` for
        a variable-length list column that no row of the file observes.
    """
    path = Path(path)
    if path.suffix == ".npz":
        return read_npz(path)
    parquet = _open_parquet(path)
    roles = infer_roles(parquet.schema_arrow, str(path), target, id_column, modalities, covariates, ignore,
                        require_target=require_target)
    if task:
        roles["task"] = task
    try:
        table = parquet.read(columns=_columns(roles))
    except (pa.ArrowException, OSError) as error:  # corrupt pages raise OSError ("Corrupt snappy ...")
        raise DataFormatError(f"{path}: unreadable Parquet data ({str(error).splitlines()[0]})") from None
    if not require_all_observed:
        roles["dims"] = {**(dims or {}), **parquet_dims(parquet.schema_arrow, roles)}
    else:
        roles["dims"] = roles.get("dims", {})
    data = table_to_data(table, roles, str(path))
    if require_all_observed:
        _check_every_modality_observed(data, str(path))
    elif not data.n_samples:
        raise DataFormatError(f"{path}: no rows (no samples to read)")
    return data


def iter_batches(path: str | os.PathLike, batch_size: int = 65536, target: str | None = None,
                 id_column: str | None = "id", modalities: list[str] | None = None,
                 covariates: list[str] | None = None, ignore: list[str] | None = None) -> Iterator[MultimodalData]:
    """Yield a Parquet file as `MultimodalData` row batches of at most ``batch_size`` rows.

    Memory stays bounded by the batch size; ids default to the global row numbers. Validation errors name
    the global row.
    """
    if batch_size < 1:
        raise DataFormatError(f"batch_size must be >= 1, got {batch_size}")
    path = Path(path)
    parquet = _open_parquet(path)
    roles = infer_roles(parquet.schema_arrow, str(path), target, id_column, modalities, covariates, ignore)
    roles["dims"] = parquet_dims(parquet.schema_arrow, roles)
    variable = [name for name in roles["modalities"] if name not in roles["dims"]]
    roles["dims"].update(first_observed_widths(parquet, variable, path))
    offset = 0
    for batch in read_batches(parquet, path, batch_size=batch_size, columns=_columns(roles)):
        table = pa.Table.from_batches([batch])
        yield table_to_data(table, roles, str(path), row_offset=offset)
        offset += table.num_rows


def read_batches(parquet: pq.ParquetFile, path: Path, **options) -> Iterator[pa.RecordBatch]:
    """``parquet.iter_batches(**options)`` whose read errors (corrupt pages) name the file."""
    batches = parquet.iter_batches(**options)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as error:
            raise DataFormatError(f"{path}: unreadable Parquet data ({str(error).splitlines()[0]})") from None
        yield batch


def parquet_dims(schema: pa.Schema, roles: dict) -> dict[str, int]:
    """Width of each fixed-size-list or block modality from the schema (variable lists are omitted)."""
    dims = {}
    for name in roles["modalities"]:
        if name in roles["block_columns"]:
            dims[name] = len(roles["block_columns"][name])
        elif pa.types.is_fixed_size_list(schema.field(name).type):
            dims[name] = schema.field(name).type.list_size
    return dims


def first_observed_widths(parquet: pq.ParquetFile, names: list[str], path: str | os.PathLike = "data") -> dict[str, int]:
    """Width of each variable-length list modality: the most common length in the first batch that
    observes it (so that an odd first row is blamed, not the rows after it).

    One pass over just these columns, stopping once every width is known, so that a batch in which a
    modality happens to be absent still gets its width, and later batches are checked against it.
    """
    widths: dict[str, int] = {}
    if not names:
        return widths
    for batch in read_batches(parquet, Path(path), batch_size=65536, columns=names):
        for name in names:
            if name not in widths:
                lengths = pc.drop_null(pc.list_value_length(batch.column(name)))
                if len(lengths):
                    widths[name] = common_length(lengths.to_numpy(zero_copy_only=False))
        if len(widths) == len(names):
            break
    return widths


def _columns(roles: dict) -> list[str]:
    columns = [c for c in (roles["id"], roles["target"]) if c]
    columns += roles["covariates"]
    for name in roles["modalities"]:
        columns += roles["block_columns"].get(name, [name])
    columns += list(roles.get("field_masks", {}).values())
    columns += list(roles.get("kept_fields", {}).values())
    return columns


def _check_every_modality_observed(data: MultimodalData, source: str) -> None:
    if not data.n_samples:
        raise DataFormatError(f"{source}: no rows (no samples to read)")
    never = [name for m, name in enumerate(data.modality_names) if not data.observed[:, m].any()]
    if never:
        raise DataFormatError(f"{source}, column {never[0]!r}: modality is never observed")


PARQUET_SUFFIXES = (".parquet", ".pq")


def check_output_suffix(path: Path, allowed: tuple[str, ...]) -> None:
    """Refuse to write a format under another format's name (a Parquet file called ``out.csv``)."""
    if path.suffix.lower() not in allowed:
        raise DataFormatError(f"{path}: missmodal writes {', '.join(allowed)} files; give the output one of these "
                              f"suffixes (got {path.suffix or 'no suffix'!r})")


def write_data(data: MultimodalData, path: str | os.PathLike, layout: str = "list",
               row_group_size: int = 65536) -> Path:
    """Write `data` atomically as Parquet (``layout`` "list" or "blocks") or, for a ``.npz`` path, as NPZ.

    The suffix chooses the format: ``.parquet``/``.pq`` or ``.npz``; any other is refused."""
    path = Path(path)
    check_output_suffix(path, PARQUET_SUFFIXES + (".npz",))
    if path.suffix == ".npz":
        return write_npz(data, path)
    table = data_to_table(data, layout)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=row_group_size)
    return path


class ParquetBatchWriter:
    """Append `MultimodalData` batches to one Parquet file, made visible atomically on :meth:`close`.

    Use as a context manager; an exception inside the block leaves no file behind.
    """

    def __init__(self, path: str | os.PathLike, layout: str = "list"):
        self.path = Path(path)
        check_output_suffix(self.path, PARQUET_SUFFIXES)
        self.layout = layout
        self._context = atomic_path(self.path)
        self._tmp = self._context.__enter__()
        self._writer: pq.ParquetWriter | None = None

    def write(self, data: MultimodalData) -> None:
        table = data_to_table(data, self.layout)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self, error: BaseException | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
        if error is None and self._writer is None:
            error = DataFormatError(f"{self.path}: no batch was written")
        if error is None:
            self._context.__exit__(None, None, None)
        else:
            self._context.__exit__(type(error), error, None)

    def __enter__(self) -> "ParquetBatchWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(exc)


def write_npz(data: MultimodalData, path: str | os.PathLike) -> Path:
    """Write `data` as a compressed ``.npz`` (no pickled objects), atomically."""
    path = Path(path)
    arrays = {f"{NPZ_MODALITY_PREFIX}{name}": data.masked(name) for name in data.modality_names}
    arrays.update({f"{NPZ_FIELDS_PREFIX}{name}": mask for name, mask in (data.field_observed or {}).items()})
    arrays["observed"] = data.observed
    arrays["modality_names"] = np.array(data.modality_names, dtype=str)
    arrays["ids"] = data.ids if data.ids.dtype.kind != "O" else data.ids.astype(str)
    if data.target is not None:
        arrays["target"] = data.target
    if data.covariates is not None:
        arrays["covariates"] = data.covariates
        arrays["covariate_names"] = np.array(data.covariate_names, dtype=str)
    arrays["info"] = np.array(json.dumps({"task": data.task, "metadata": _jsonable(data.metadata)}))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return path


def read_npz(path: str | os.PathLike) -> MultimodalData:
    """Read a ``.npz`` written by :func:`write_npz` (or by hand with the same keys); never unpickles.

    Keys: ``modality:<name>`` arrays of shape (n, d_m), optional ``modality_names`` (their order),
    ``observed`` (n, M), ``target``, ``covariates`` with ``covariate_names``, ``ids`` and ``info`` (JSON).
    Every error names the file and, where it applies, the array and row.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise DataFormatError(f"{path}: not a readable .npz file ({error})") from None
    if not hasattr(archive, "files"):
        raise DataFormatError(f"{path}: a single .npy array, expected a .npz archive of named arrays")
    with archive:
        arrays = _npz_arrays(archive, path)
    try:
        data = MultimodalData(
            arrays["modalities"], observed=arrays.get("observed"), target=arrays.get("target"),
            covariates=arrays.get("covariates"), covariate_names=arrays.get("covariate_names"),
            ids=arrays.get("ids"), task=arrays["info"].get("task"), metadata=arrays["info"].get("metadata", {}),
            field_observed=arrays.get("field_observed"),
        )
    except MissmodalError as error:
        raise DataFormatError(f"{path}: {error}") from None
    empty = ~data.observed.any(axis=1)
    if empty.any():
        raise DataFormatError(f"{path}, row {int(np.flatnonzero(empty)[0])}: sample has no modality observed")
    for m, (name, values) in enumerate(data.modalities.items()):
        check_magnitude(values, data.observed[:, m], str(path), name)
    for j, name in enumerate(data.covariate_names or []):
        check_magnitude(data.covariates[:, j], None, str(path), name)
    _check_every_modality_observed(data, str(path))
    return data


def _npz_array(archive, key: str, path: Path) -> np.ndarray:
    """One array of an open archive; object (pickled) arrays are refused with the file and key named."""
    try:
        return archive[key]
    except (ValueError, OSError) as error:
        raise DataFormatError(f"{path}, array {key!r}: unreadable ({str(error).splitlines()[0]})") from None


def _npz_arrays(archive, path: Path) -> dict:
    """The modality arrays and optional fields of an open ``.npz`` archive (values are checked by the caller)."""
    keys = set(archive.files)
    if "modality_names" in keys:
        names = [str(n) for n in _npz_array(archive, "modality_names", path).reshape(-1)]
    else:
        names = [k[len(NPZ_MODALITY_PREFIX):] for k in archive.files if k.startswith(NPZ_MODALITY_PREFIX)]
    if not names:
        raise DataFormatError(f"{path}: no arrays named '{NPZ_MODALITY_PREFIX}<name>'")
    modalities = {}
    for name in names:
        key = f"{NPZ_MODALITY_PREFIX}{name}"
        if key not in keys:
            raise DataFormatError(f"{path}: array {key!r} not found")
        modalities[name] = _npz_array(archive, key, path)
        if modalities[name].dtype.kind not in "biuf":
            raise DataFormatError(f"{path}, array {key!r}: dtype {modalities[name].dtype} is not numeric")
    arrays: dict = {"modalities": modalities}
    for key in ("observed", "target", "covariates", "ids"):
        if key in keys:
            arrays[key] = _npz_array(archive, key, path)
    if "covariate_names" in keys:
        arrays["covariate_names"] = [str(c) for c in _npz_array(archive, "covariate_names", path)]
    arrays["info"] = _npz_info(archive, path) if "info" in keys else {}
    fields = {k[len(NPZ_FIELDS_PREFIX):]: _npz_array(archive, k, path) for k in archive.files if k.startswith(NPZ_FIELDS_PREFIX)}
    if fields:
        arrays["field_observed"] = fields
    return arrays


def _npz_info(archive, path: Path) -> dict:
    """The JSON ``info`` entry (task and metadata) of an archive."""
    try:
        info = json.loads(str(_npz_array(archive, "info", path)))
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{path}, array 'info': not JSON ({error})") from None
    if not isinstance(info, dict):
        raise DataFormatError(f"{path}, array 'info': expected a JSON object, got {type(info).__name__}")
    return info
