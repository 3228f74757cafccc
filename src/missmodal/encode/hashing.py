"""sha256 of the files that define an encoder (a model directory, a TorchScript file, a Python module)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path, digest=None) -> str:
    """sha256 of one file's bytes (streamed in 1 MiB blocks); updates ``digest`` when given."""
    digest = digest or hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_sha256(directory: Path) -> str:
    """sha256 over every file of ``directory`` (recursively, sorted by relative path: name then bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode())
        file_sha256(path, digest)
    return digest.hexdigest()
