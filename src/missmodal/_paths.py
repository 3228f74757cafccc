"""Output-path checks run by every command before any long computation: never overwrite an input.

An output is refused when it resolves (symlinks and hard links included) to an input file, to a file
inside a model folder being read, to the same file as another output of the run, or when an input lies
where an output folder's files will be written. Unwritable destinations are reported up front, naming
the output (not a temporary file) and the folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping

from .errors import MissmodalError


def _real(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(path))


def _same_file(a: Path, b: Path) -> bool:
    if _real(a) == _real(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    real, root = _real(path), _real(folder)
    return real == root or root in real.parents


def _check_writable(label: str, path: Path, folder_output: bool) -> None:
    """The first existing ancestor of the destination must be a writable folder."""
    target = path if folder_output else path.parent
    probe = _real(target)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise MissmodalError(f"{label} {path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise MissmodalError(f"{label} {path}: folder {probe} is not writable")


def input_files(*specs: str | os.PathLike | None) -> list[Path]:
    """The DATA/config arguments that are existing files (dataset names like ``mfeat`` are not)."""
    return [Path(s) for s in specs if s is not None and Path(s).is_file()]


def guard_outputs(files: Mapping[str, str | os.PathLike | None] | None = None,
                  folders: Mapping[str, tuple[str | os.PathLike | None, Iterable[str]]] | None = None,
                  inputs: Iterable[str | os.PathLike | None] = (),
                  read_folders: Iterable[str | os.PathLike | None] = ()) -> None:
    """Raise a one-line :class:`MissmodalError` when an output would destroy an input or cannot be written.

    Parameters
    ----------
    files : option name (``"--output"``) -> output file path (None: option not given).
    folders : option name -> (output folder, names the command writes in it; a name ending in ``/`` is a
        sub-folder). An input at one of those places is refused.
    inputs : input paths (dataset names and None are skipped).
    read_folders : model folders (or their ``model.json``) read by the command: no output may lie inside.
    """
    sources = input_files(*inputs)
    models = []
    for folder in read_folders:
        if folder is not None:
            folder = Path(folder)
            models.append(folder.parent if folder.is_file() else folder)
    seen: dict[Path, str] = {}
    for label, path in (files or {}).items():
        if path is None:
            continue
        path = Path(path)
        if path.is_dir():
            raise MissmodalError(f"{label} {path}: is a folder, expected a file name")
        for source in sources:
            if _same_file(path, source):
                raise MissmodalError(f"{label} {path}: is the input file {source}; writing it would destroy the "
                                     "input, choose another output name")
        for model in models:
            if _inside(path, model):
                raise MissmodalError(f"{label} {path}: lies inside the model folder {model} being read; "
                                     "write outside it")
        real = _real(path)
        if real in seen:
            raise MissmodalError(f"{label} {path}: is the same file as {seen[real]}; give each output its own name")
        seen[real] = label
        _check_writable(label, path, folder_output=False)
    for label, (folder, names) in (folders or {}).items():
        if folder is None:
            continue
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise MissmodalError(f"{label} {folder}: is a file, expected a folder")
        for source in sources + models:
            for name in names:
                place = folder / name.rstrip("/")
                hit = _inside(source, place) if name.endswith("/") else _same_file(source, place)
                if hit:
                    raise MissmodalError(f"{label} {folder}: the run writes {place}, which is the input {source}; "
                                         "choose another output folder")
        for model in models:
            if _inside(folder, model):
                raise MissmodalError(f"{label} {folder}: lies inside the model folder {model} being read")
        _check_writable(label, folder, folder_output=True)
