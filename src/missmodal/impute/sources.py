"""Row sources for streaming fits: an in-memory array or a Parquet file, read in row batches.

A source yields ``(start, X, observed)`` for the rows this process owns: ``start`` is the global index
of the batch's first row, ``X`` a ``(b, D)`` float32 array with NaN in missing blocks and ``observed`` the
``(b, M)`` mask. Memory is bounded by the batch size. Under ``torch.distributed`` an array source is this
process's shard (shards are consecutive row ranges in rank order) and a Parquet source reads the row
groups ``rank, rank + world_size, ...``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..data.arrow import infer_roles, table_to_data
from ..data.io import first_observed_widths, parquet_dims, read_batches
from ..errors import DataFormatError
from .._distributed import gather_arrays


class ArrayRows:
    """Rows of an in-memory ``(n, D)`` array and its ``(n, M)`` observed mask, in batches."""

    def __init__(self, X: np.ndarray, observed: np.ndarray, batch_size: int, rank: int = 0, distributed: bool = False):
        self.X, self.observed, self.batch_size = X, observed, batch_size
        sizes = gather_arrays(distributed, np.array([X.shape[0]], dtype=np.int64))[0]
        self.offset = int(sizes[:rank].sum())
        self.n_local = X.shape[0]
        self.n_total = int(sizes.sum())

    def batches(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for start in range(0, self.n_local, self.batch_size):
            stop = min(start + self.batch_size, self.n_local)
            yield self.offset + start, self.X[start:stop], self.observed[start:stop]


class ParquetRows:
    """The modalities of a Parquet file (missmodal layout), read in row batches; this process's row groups only.

    Parameters
    ----------
    path : a Parquet file in the list or column-block layout.
    batch_size : rows per batch.
    rank, world_size : this process's row groups are ``rank, rank + world_size, ...``.
    """

    def __init__(self, path: str | os.PathLike, batch_size: int, rank: int = 0, world_size: int = 1):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataFormatError(f"{self.path}: no such file")
        try:
            self.file = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as error:
            raise DataFormatError(f"{self.path}: not a Parquet file ({str(error).splitlines()[0]})") from None
        roles = infer_roles(self.file.schema_arrow, str(self.path))
        roles["dims"] = parquet_dims(self.file.schema_arrow, roles)
        variable = [name for name in roles["modalities"] if name not in roles["dims"]]
        roles["dims"].update(first_observed_widths(self.file, variable, self.path))
        self.roles = dict(roles, target=None, id=None, covariates=[])
        self.modality_names = list(roles["modalities"])
        self.columns = [c for name in self.modality_names for c in roles["block_columns"].get(name, [name])]
        self.batch_size = batch_size
        metadata = self.file.metadata
        sizes = np.array([metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)], dtype=np.int64)
        self.group_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.groups = list(range(rank, len(sizes), world_size))
        self.n_total = int(sizes.sum())
        self.n_local = int(sizes[self.groups].sum())
        self.widths = self._widths()

    def _widths(self) -> list[int]:
        """Width of each modality (0 for one never observed, which the fit then reports by name)."""
        return [self.roles["dims"].get(name, 0) for name in self.modality_names]

    def batches(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for group in self.groups:
            start = int(self.group_starts[group])
            for batch in read_batches(self.file, self.path, batch_size=self.batch_size, row_groups=[group],
                                      columns=self.columns):
                data = table_to_data(pa.Table.from_batches([batch]), self.roles, str(self.path), row_offset=start,
                                     require_modality=False)
                X, _ = data.to_array()
                yield start, X, data.observed
                start += batch.num_rows


class SpilledRows:
    """A streamed source replayed from a local binary copy after its first pass.

    The first pass over ``source`` also writes every batch (``X`` as float32, ``observed`` as bytes) to an
    anonymous temporary file in ``directory``; later passes read the batches back instead of decoding and
    validating the Parquet file again. Memory stays one batch (the copy lives on disk, in the page cache
    at most); disk use is the data's float32 size, ``n × (D·4 + M)`` bytes; the file is deleted when
    this object is closed or collected.
    """

    def __init__(self, source: ParquetRows, directory: str | os.PathLike | None = None):
        self.source = source
        self.n_total, self.n_local = source.n_total, source.n_local
        self.widths, self.modality_names = source.widths, source.modality_names
        self._file = tempfile.TemporaryFile(dir=directory)
        self._index: list[tuple[int, int]] | None = None  # (start, rows) per batch, once a pass completed

    def batches(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        if self._index is None:
            yield from self._record()
        else:
            yield from self._replay()

    def _record(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        self._file.seek(0)
        self._file.truncate()
        index = []
        for start, X, observed in self.source.batches():
            X = np.ascontiguousarray(X, dtype=np.float32)
            observed = np.ascontiguousarray(observed, dtype=bool)
            self._file.write(X.tobytes())
            self._file.write(observed.tobytes())
            index.append((start, X.shape[0]))
            yield start, X, observed
        self._file.flush()
        self._index = index  # only a complete pass is replayed

    def _replay(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        n_features, n_modalities = sum(self.widths), len(self.widths)
        self._file.seek(0)
        for start, rows in self._index:
            X = np.empty((rows, n_features), dtype=np.float32)
            observed = np.empty((rows, n_modalities), dtype=bool)
            for array in (X, observed):
                if self._file.readinto(memoryview(array).cast("B")) != array.nbytes:
                    raise OSError(f"spill file of {self.source.path} ended early")
            yield start, X, observed

    def close(self) -> None:
        self._file.close()
