"""The encoder interface, its options, and the registry that maps a spec's kind to its builder.

A spec is ``KIND`` or ``KIND:ARGUMENT`` (``hf:models/bert``, ``tfidf:64``, ``python:pkg.mod:func``); the
registry builds ``Encoder`` objects from it, so that the command line, the benchmark and the tests name
encoders the same way, and a new kind is one module plus one ``@ENCODERS.register("kind")`` line.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import MissmodalError
from ..registry import Registry

ENCODERS = Registry("encoder kind")

#: What an encoder's items are, as loaded from the manifest cells by :mod:`missmodal.encode.inputs`.
INPUT_KINDS = ("text", "image", "array", "raw")


@dataclass(frozen=True)
class EncodeOptions:
    """Settings shared by every encoder of one run.

    Parameters
    ----------
    device : torch device of the model encoders ("cpu", "cuda", "cuda:1").
    pooling : "mean" (over non-padding tokens) or "cls", for Hugging Face text models.
    max_length : tokens kept per text (longer texts are truncated).
    seed : seed of every random step (the fitted encoders' subsample, PCA/SVD, ROCKET kernels).
    fit_rows : the weight-free encoders are fitted on at most this many present rows (a seeded sample).
    """

    device: str = "cpu"
    pooling: str = "mean"
    max_length: int = 128
    seed: int = 0
    fit_rows: int = 10000


class DimensionUnknown(MissmodalError):
    """An encoder's width is known only once it has encoded a batch (TorchScript modules, Python functions)."""


class Encoder(abc.ABC):
    """Maps a list of raw items (texts, images, arrays) to an (n, dim) float32 array.

    Subclasses set ``input_kind`` (one of :data:`INPUT_KINDS`), implement :meth:`encode`, :attr:`dim` and
    :meth:`weights_hash`. Encoders with fitted state subclass :class:`FittedEncoder`.
    """

    input_kind: str = "raw"
    #: Encode a chunk's items in order of length (texts: fewer padding tokens per batch, same embeddings).
    sort_by_length: bool = False

    def __init__(self, spec: str, options: EncodeOptions):
        self.spec = spec
        self.options = options

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Width d of the embeddings."""

    @abc.abstractmethod
    def encode(self, items: Sequence[Any]) -> np.ndarray:
        """Embeddings of ``items``, an (len(items), dim) float32 array (finite)."""

    @abc.abstractmethod
    def weights_hash(self) -> str:
        """sha256 of what determines the output besides the options: weights, config, fitted state."""

    def provenance(self) -> dict[str, Any]:
        """Spec, kind, hash and dimension recorded in the output file's metadata."""
        return {"spec": self.spec, "kind": self.spec.split(":", 1)[0], "sha256": self.weights_hash(),
                "dim": self.dim, "pooling": None}


class FittedEncoder(Encoder):
    """An encoder with state learned from training rows, saved as arrays + JSON (never pickle).

    ``fit(items)`` learns the state, ``state()`` returns ``(arrays, config)`` and ``load_state`` restores it,
    so that new rows are encoded exactly as the training rows were.
    """

    @abc.abstractmethod
    def fit(self, items: Sequence[Any]) -> "FittedEncoder":
        """Learn the state from the training items; returns self."""

    @abc.abstractmethod
    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The fitted state as named arrays and a JSON-able config."""

    @abc.abstractmethod
    def load_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "FittedEncoder":
        """Restore a state returned by :meth:`state`; returns self."""

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "_fitted", False)

    def weights_hash(self) -> str:
        from .state import state_hash

        return state_hash(*self.state())

    def check_fitted(self) -> None:
        if not self.is_fitted:
            raise MissmodalError(f"encoder {self.spec!r} is not fitted (fit it on training rows or load a state)")


class ProbedEncoder(Encoder):
    """An encoder whose width d is learned from its first output (TorchScript modules, Python functions)."""

    _dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            raise DimensionUnknown(f"encoder {self.spec!r}: its dimension is known after the first batch")
        return self._dim


class SizedFittedEncoder(FittedEncoder):
    """A fitted encoder whose spec is ``KIND:DIM`` (tfidf, pixels, rocket)."""

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, options)
        self._dim = positive_dim(argument, spec)

    @property
    def dim(self) -> int:
        return self._dim


def split_spec(spec: str) -> tuple[str, str]:
    """``"hf:models/bert"`` -> ``("hf", "models/bert")``; ``"numeric"`` -> ``("numeric", "")``."""
    kind, _, argument = spec.partition(":")
    return kind.strip(), argument.strip()


def build_encoder(spec: str, options: EncodeOptions | None = None) -> Encoder:
    """The encoder named by ``spec`` (see :data:`ENCODERS` for the kinds).

    Examples
    --------
    >>> from missmodal.encode import build_encoder
    >>> build_encoder("tfidf:8").dim
    8
    """
    kind, argument = split_spec(spec)
    return ENCODERS.get(kind)(spec=spec, argument=argument, options=options or EncodeOptions())


def positive_dim(argument: str, spec: str) -> int:
    """The DIM of ``KIND:DIM`` specs, a positive integer (one-line error otherwise)."""
    try:
        dim = int(argument)
    except ValueError:
        raise MissmodalError(f"encoder {spec!r}: expected {spec.split(':')[0]}:DIM with DIM a positive integer") from None
    if dim < 1:
        raise MissmodalError(f"encoder {spec!r}: DIM must be >= 1, got {dim}")
    return dim


def as_embeddings(values: Any, n: int, spec: str) -> np.ndarray:
    """Check an encoder's output: an (n, d) finite float array, returned as float32."""
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != n:
        raise MissmodalError(f"encoder {spec!r} returned shape {array.shape}, expected ({n}, d)")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise MissmodalError(f"encoder {spec!r} returned NaN or inf for item {row} of a batch")
    return array
