"""Manifest cells to encoder items: inline text, image files, arrays (``.npy``, ``.csv``, list cells).

A cell is *present* when it is neither null nor an empty string. File cells name a path, relative to the
manifest's folder unless absolute. Every failure names the manifest, column, row and file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import DataFormatError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARRAY_SUFFIXES = (".npy", ".csv")


@dataclass(frozen=True)
class CellLocation:
    """Where a cell lives, for error messages: manifest path and column."""

    source: str
    column: str

    def where(self, row: int) -> str:
        return f"{self.source}, column {self.column!r}, row {row}"


def cell_present(value: Any) -> bool:
    """A cell is present unless it is null (None/NaN) or an empty string."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, float):
        return not np.isnan(value)
    return True


def resolve_path(value: Any, base_dir: Path, location: CellLocation, row: int) -> Path:
    """The file a cell names (relative paths are relative to the manifest's folder)."""
    if not isinstance(value, str):
        raise DataFormatError(f"{location.where(row)}: expected a file path, got {type(value).__name__} {value!r}")
    path = Path(value.strip()).expanduser()
    return path if path.is_absolute() else base_dir / path


def load_text(value: Any, location: CellLocation, row: int) -> str:
    if not isinstance(value, str):
        raise DataFormatError(f"{location.where(row)}: expected inline text, got {type(value).__name__} {value!r}")
    return value


def load_image(path: Path, location: CellLocation, row: int):
    """An RGB ``PIL.Image`` read fully into memory (the file is closed)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise DataFormatError(f"{location.where(row)}: {path} is not a readable image ({error.__class__.__name__})") from None


def load_array(value: Any, base_dir: Path, location: CellLocation, row: int) -> np.ndarray:
    """A float32 array from a list cell, a ``.npy``/``.csv`` file, or an image file ((3, H, W) in [0, 1])."""
    if not isinstance(value, str):
        array = np.asarray(value, dtype=np.float32)
    else:
        path = resolve_path(value, base_dir, location, row)
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            image = np.asarray(load_image(path, location, row), dtype=np.float32) / 255.0
            return np.ascontiguousarray(image.transpose(2, 0, 1))
        try:
            if suffix == ".npy":
                array = np.load(path, allow_pickle=False)
            elif suffix == ".csv":
                array = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=1)
            else:
                raise DataFormatError(f"{location.where(row)}: {path.name}: array files must be "
                                      f"{'/'.join(ARRAY_SUFFIXES + IMAGE_SUFFIXES)}")
        except (ValueError, OSError) as error:
            raise DataFormatError(f"{location.where(row)}: {path} is not a readable array "
                                  f"({str(error).splitlines()[0]})") from None
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise DataFormatError(f"{location.where(row)}: {path} holds dtype {array.dtype}, expected numbers")
        array = array.astype(np.float32)
    if array.size == 0 or not np.isfinite(array).all():
        raise DataFormatError(f"{location.where(row)}: array is empty or holds NaN/inf")
    return array


def load_items(values: Sequence[Any], rows: Sequence[int], input_kind: str, base_dir: Path,
               location: CellLocation) -> list:
    """Load the present cells ``values`` (global manifest rows ``rows``) as items of ``input_kind``."""
    if input_kind == "text":
        return [load_text(v, location, r) for v, r in zip(values, rows)]
    if input_kind == "image":
        return [load_image(resolve_path(v, base_dir, location, r), location, r) for v, r in zip(values, rows)]
    if input_kind == "array":
        return [load_array(v, base_dir, location, r) for v, r in zip(values, rows)]
    return list(values)


def presence(values: Sequence[Any], input_kind: str, base_dir: Path, location: CellLocation,
             missing_files: str = "error") -> tuple[np.ndarray, int]:
    """Present mask of a raw column and the number of named files that do not exist.

    A missing file is an error naming row and column, unless ``missing_files="absent"`` (then the
    modality is recorded as absent for that row and counted).
    """
    if missing_files not in ("error", "absent"):
        raise DataFormatError(f"missing_files must be 'error' or 'absent', got {missing_files!r}")
    present = np.fromiter((cell_present(v) for v in values), dtype=bool, count=len(values))
    n_missing = 0
    if input_kind in ("image", "array"):
        for row in np.flatnonzero(present):
            value = values[row]
            if isinstance(value, str) and not resolve_path(value, base_dir, location, int(row)).is_file():
                if missing_files == "error":
                    raise DataFormatError(f"{location.where(int(row))}: file {value.strip()!r} does not exist "
                                          "(use --missing-files absent to record it as absent)")
                present[row] = False
                n_missing += 1
    return present, n_missing
