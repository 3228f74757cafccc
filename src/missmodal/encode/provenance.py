"""Provenance of encoded modalities: what is recorded in the output's metadata and how audit prints it.

``data.metadata["encoders"]`` maps each encoded modality to a record with at least ``spec``, ``kind``,
``sha256`` (weights/config or fitted state), ``dim``, ``pooling`` and ``missmodal_version``, plus the
manifest column, counts of present/absent rows and missing files, and for fitted encoders how they were fitted
and the state file. This module imports nothing heavy, so ``missmodal audit`` can use it on any file.
"""

from __future__ import annotations

from typing import Any, Mapping

METADATA_KEY = "encoders"


def provenance_lines(metadata: Mapping[str, Any]) -> list[str]:
    """Lines describing the frozen encoders a file was made with (empty when it was not encoded)."""
    records = metadata.get(METADATA_KEY) or {}
    if not records:
        return []
    lines = ["encoded modalities (frozen encoders):"]
    for modality, record in records.items():
        extra = [f"pooling {record['pooling']}"] if record.get("pooling") else []
        if record.get("fitted_on"):
            extra.append(f"fitted on {record['fitted_on']['rows']} rows (seed {record['fitted_on']['seed']})")
        if record.get("n_missing_files"):
            extra.append(f"{record['n_missing_files']} missing files recorded absent")
        lines.append(f"  {modality:<16} {record.get('spec', '?')}  dim {record.get('dim', '?')}  "
                     f"sha256 {str(record.get('sha256', ''))[:12]}  missmodal {record.get('missmodal_version', '?')}"
                     + ("  " + ", ".join(extra) if extra else ""))
    return lines
