"""Frozen encoders: raw text, images, signals and vectors to per-modality embeddings (``missmodal encode``).

Encoder kinds (a spec is ``KIND`` or ``KIND:ARGUMENT``): ``hf:DIR`` (a local Hugging Face text or image model,
never downloaded), ``torchscript:FILE``, ``python:package.module:function``, and the weight-free ones fitted
on the training rows and saved beside the output: ``tfidf:DIM``, ``pixels:DIM``, ``rocket:DIM``, ``numeric``.
:func:`encode_manifest` turns a manifest of raw files into a missmodal Parquet file every command reads.
"""

from . import builtin  # noqa: F401  (registers the built-in kinds in ENCODERS)
from .base import ENCODERS, EncodeOptions, Encoder, FittedEncoder, build_encoder
from .pipeline import EncodeResult, encode_manifest, state_path_for
from .provenance import provenance_lines
from .state import load_states, save_states

__all__ = [
    "ENCODERS", "EncodeOptions", "EncodeResult", "Encoder", "FittedEncoder", "build_encoder", "encode_manifest",
    "load_states", "provenance_lines", "save_states", "state_path_for",
]
