"""``encode_manifest``: raw modality columns of a manifest to a missmodal Parquet file of embeddings.

Per modality, in manifest order: fit the weight-free encoder on the training rows (or load a saved state),
then encode the present rows chunk by chunk (``chunk_rows`` manifest rows, ``batch_size`` items per encoder
call), each chunk saved to the per-modality cache (:mod:`.cache`). Rank 0 then streams the chunks into the
output in row batches, so peak memory is bounded by the chunk and batch sizes, not by n. Under ``torchrun``
every rank encodes the chunks ``i`` with ``i % world_size == rank`` into the shared cache folder.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .. import __version__
from ..data.io import PARQUET_SUFFIXES, ParquetBatchWriter, check_output_suffix
from ..data.multimodal import MultimodalData
from ..errors import MissmodalError
from .base import DimensionUnknown, EncodeOptions, Encoder, FittedEncoder, as_embeddings, build_encoder
from .cache import ModalityCache
from .._distributed import DistributedContext, setup_distributed
from .inputs import load_items
from .manifest import Manifest, read_manifest
from .provenance import METADATA_KEY
from .state import load_states, save_states, state_hash

STATE_SUFFIX = ".encoders.safetensors"


@dataclass
class EncodeResult:
    """What an encode run wrote: the Parquet path, the fitted-state path (or None) and the provenance."""

    path: Path
    state_path: Path | None
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)


def _no_progress(description: str, total: int | None = None):
    return contextlib.nullcontext(lambda n=1: None)


def state_path_for(output: Path) -> Path:
    """``cohort.parquet`` -> ``cohort.encoders.safetensors`` (the fitted states saved beside the output)."""
    return output.with_name(output.stem + STATE_SUFFIX)


def encode_manifest(manifest: Any, encoders: Mapping[str, str], output: str | Path,
                    columns: Mapping[str, str] | None = None, *, batch_size: int = 32, chunk_rows: int = 1024,
                    options: EncodeOptions | None = None, missing_files: str = "error",
                    state: str | Path | None = None, cache_dir: str | Path | None = None, keep_cache: bool = False,
                    progress: Callable = _no_progress, **schema: Any) -> EncodeResult | None:
    """Encode the raw modalities of ``manifest`` and write them, with the other columns, to ``output``.

    Parameters
    ----------
    manifest : path of a CSV/TSV/Parquet manifest, or a pandas DataFrame.
    encoders : modality -> encoder spec (``{"notes": "hf:models/bert", "cxr": "pixels:32"}``).
    output : the ``.parquet`` file to write (atomically).
    columns : modality -> manifest column, for modalities whose column is not named like the modality.
    batch_size : items per encoder call; chunk_rows : manifest rows per cached chunk (the resume unit).
    options : device, pooling, max length, seed and fit size (:class:`EncodeOptions`).
    missing_files : "error" (default) or "absent": a named file that does not exist is recorded as absent.
    state : a ``.encoders.safetensors`` file of an earlier run: its fitted encoders are applied, not refitted
        (encode new data exactly as the training data were).
    cache_dir : chunk cache (default ``<output>.cache``), deleted after success unless ``keep_cache``.
    progress : ``progress(description, total)`` context manager yielding ``advance(n)`` (the CLI's bars).
    **schema : roles of the other columns for :func:`~missmodal.data.schema.from_table` (``target``, ``id``,
        ``covariates``, ``ignore``, ``modalities`` for tabular blocks, ``partial``, ``task``).

    Returns
    -------
    EncodeResult on rank 0 (the only writer), None on the other ranks.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from missmodal.encode import encode_manifest
    >>> frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "note": ["red apple", "green pear", "red pear", "blue plum"]})
    >>> result = encode_manifest(frame, {"note": "tfidf:2"}, Path(tempfile.mkdtemp()) / "notes.parquet", id="id")
    >>> result.provenance["note"]["dim"], result.state_path.name
    (2, 'notes.encoders.safetensors')
    """
    options = options or EncodeOptions()
    output = Path(output)
    check_output_suffix(output, PARQUET_SUFFIXES)
    if batch_size < 1 or chunk_rows < 1:
        raise MissmodalError(f"batch_size and chunk_rows must be >= 1, got {batch_size} and {chunk_rows}")
    if not encoders:
        raise MissmodalError("no encoder given (--encoder MOD=SPEC)")
    built = {modality: build_encoder(spec, options) for modality, spec in encoders.items()}
    raw = {modality: (columns or {}).get(modality, modality) for modality in encoders}
    unknown = sorted(set(columns or {}) - set(encoders))
    if unknown:
        raise MissmodalError(f"--column {unknown[0]}=...: modality {unknown[0]!r} has no --encoder")
    table = read_manifest(manifest, raw, {m: e.input_kind for m, e in built.items()}, missing_files, **schema)
    saved = load_states(state) if state else {}
    unfitted = [m for m, e in built.items() if state and isinstance(e, FittedEncoder) and m not in saved]
    if unfitted:
        raise MissmodalError(f"--state {state}: no fitted state for modality {unfitted[0]!r} (it holds "
                             f"{', '.join(saved) or 'none'}); new data are never refitted silently")
    context = setup_distributed()
    cache_root = Path(cache_dir) if cache_dir else output.with_name(output.name + ".cache")
    run = _Run(table, batch_size, chunk_rows, options, cache_root, context, progress)
    records = {modality: run.encode_modality(modality, encoder, encoders[modality], saved.get(modality), missing_files)
               for modality, encoder in built.items()}
    context.barrier()
    if not context.is_main:
        return None
    fitted = {m: e.state() for m, e in built.items() if isinstance(e, FittedEncoder)}
    state_out = save_states(state_path_for(output), fitted) if fitted else None
    for modality in fitted:
        records[modality]["state_file"] = state_out.name
    run.write(output, records)
    if not keep_cache:
        shutil.rmtree(cache_root, ignore_errors=True)
    return EncodeResult(output, state_out, records)


@dataclass
class _Run:
    """One encode run's settings and the steps that use them."""

    manifest: Manifest
    batch_size: int
    chunk_rows: int
    options: EncodeOptions
    cache_root: Path
    context: DistributedContext
    progress: Callable

    @property
    def n_chunks(self) -> int:
        return -(-self.manifest.n_rows // self.chunk_rows)

    def rows(self, index: int) -> slice:
        return slice(index * self.chunk_rows, min((index + 1) * self.chunk_rows, self.manifest.n_rows))

    def encode_modality(self, modality: str, encoder: Encoder, spec: str, saved: tuple | None,
                        missing_files: str) -> dict[str, Any]:
        """Fit (or restore), encode this rank's missing chunks into the cache; the modality's provenance."""
        present = self.manifest.present[modality]
        key = {"spec": spec, "column": self.manifest.columns[modality], "manifest": self.manifest.sha256,
               "chunk_rows": self.chunk_rows, "options": vars(self.options), "missing_files": missing_files,
               "state": None if saved is None else _state_digest(saved)}
        if not isinstance(encoder, FittedEncoder):
            key["weights"] = encoder.weights_hash()
        cache = ModalityCache(self.cache_root, modality, key, owner=self.context.is_main)
        self.context.barrier()
        fitted_on = self._fit(modality, encoder, cache, saved) if isinstance(encoder, FittedEncoder) else None
        dim = self._dim(modality, encoder)
        todo = [i for i in range(self.context.rank, self.n_chunks, self.context.world_size) if not cache.has(i)]
        with self.progress(f"encoding {modality}", int(sum(present[self.rows(i)].sum() for i in todo))) as advance:
            for index in todo:
                cache.save(index, self._encode_chunk(modality, encoder, self.rows(index), dim, advance))
        record = dict(encoder.provenance(), column=self.manifest.columns[modality], input=encoder.input_kind,
                      missmodal_version=__version__, n_present=int(present.sum()), n_absent=int((~present).sum()),
                      n_missing_files=self.manifest.missing_files[modality], fitted_on=fitted_on,
                      device=self.options.device, batch_size=self.batch_size)
        return record

    def _fit(self, modality: str, encoder: FittedEncoder, cache: ModalityCache, saved: tuple | None) -> dict:
        """Restore a saved or cached state, else fit on a seeded sample of at most ``fit_rows`` present rows."""
        if saved is not None:
            if saved[1].get("spec") != encoder.spec:
                raise MissmodalError(f"--state: modality {modality!r} was fitted with {saved[1].get('spec')!r}, "
                                     f"not {encoder.spec!r}")
            encoder.load_state(*saved)
            return {"rows": saved[1].get("fit_rows"), "seed": saved[1].get("seed"), "from_state": True}
        rows = np.flatnonzero(self.manifest.present[modality])
        if len(rows) > self.options.fit_rows:
            rows = np.sort(np.random.default_rng(self.options.seed).choice(rows, self.options.fit_rows, replace=False))
        cached = cache.load_state() if self.context.is_main else None
        if self.context.is_main and cached is None:
            try:
                encoder.fit(self._items(modality, encoder, rows))
            except MissmodalError as error:
                location = self.manifest.location(modality)
                raise type(error)(f"{location.source}, column {location.column!r}, fitting {encoder.spec!r} on "
                                  f"{len(rows)} rows: {error}") from None
            arrays, config = encoder.state()
            cache.save_state(arrays, dict(config, fit_rows=len(rows)))
        self.context.barrier()
        encoder.load_state(*(cached or cache.load_state()))
        return {"rows": len(rows), "seed": self.options.seed, "from_state": False}

    def _dim(self, modality: str, encoder: Encoder) -> int:
        try:
            return encoder.dim
        except DimensionUnknown:
            first = np.flatnonzero(self.manifest.present[modality])[:1]
            encoder.encode(self._items(modality, encoder, first))
            return encoder.dim

    def _items(self, modality: str, encoder: Encoder, rows: np.ndarray) -> list:
        return load_items(self.manifest.cells[modality][rows], rows, encoder.input_kind,
                          self.manifest.base_dir, self.manifest.location(modality))

    def _encode_chunk(self, modality: str, encoder: Encoder, rows: slice, dim: int, advance) -> np.ndarray:
        values = np.full((rows.stop - rows.start, dim), np.nan, dtype=np.float32)
        present = rows.start + np.flatnonzero(self.manifest.present[modality][rows])
        if encoder.sort_by_length:  # batches of similar length carry less padding; each row's embedding is its own
            lengths = np.fromiter((len(self.manifest.cells[modality][r]) for r in present), dtype=np.int64, count=len(present))
            present = present[np.argsort(lengths, kind="stable")]
        for start in range(0, len(present), self.batch_size):
            batch = present[start:start + self.batch_size]
            try:
                embeddings = encoder.encode(self._items(modality, encoder, batch))
                embeddings = _checked(embeddings, len(batch), dim, encoder.spec)
            except MissmodalError as error:
                raise MissmodalError(f"{self.manifest.location(modality).where(int(batch[0]))}"
                                     f"{f'..{int(batch[-1])}' if len(batch) > 1 else ''}: {error}") from None
            values[batch - rows.start] = embeddings
            advance(len(batch))
        return values

    def write(self, output: Path, records: dict[str, dict]) -> None:
        """Stream the cached chunks, with the manifest's other columns, into ``output`` in row batches."""
        caches = {m: ModalityCache(self.cache_root, m, {}, owner=False) for m in records}
        side = self.manifest.side
        with ParquetBatchWriter(output) as writer:
            for index in range(self.n_chunks):
                part = side.subset(np.arange(self.rows(index).start, self.rows(index).stop))
                modalities = {name: caches[name].load(index) if name in records else values
                              for name, values in part.modalities.items()}
                part.metadata = dict(part.metadata, **{METADATA_KEY: records})
                writer.write(MultimodalData(modalities, observed=part.observed, target=part.target,
                                            covariates=part.covariates, covariate_names=part.covariate_names,
                                            ids=part.ids, task=part.task, metadata=part.metadata,
                                            field_observed=part.field_observed))


def _checked(values: Any, n: int, dim: int, spec: str) -> np.ndarray:
    array = as_embeddings(values, n, spec)
    if array.shape[1] != dim:
        raise MissmodalError(f"encoder {spec!r} returned width {array.shape[1]}, expected {dim}")
    return array


def _state_digest(saved: tuple) -> str:
    return state_hash(*saved)
