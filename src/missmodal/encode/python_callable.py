"""``python:package.module:function``: a user function mapping a list of raw cells to an (n, d) array.

The function gets the present cells exactly as the manifest holds them (text, paths as written, list
values) and must return n rows of the same width d on every call.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Sequence

import numpy as np

from ..errors import MissmodalError
from .base import ENCODERS, EncodeOptions, ProbedEncoder
from .hashing import file_sha256


@ENCODERS.register("python", "user function of a list of raw cells (python:package.module:function)")
class PythonEncoder(ProbedEncoder):
    input_kind = "raw"

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, options)
        module_name, _, function_name = argument.rpartition(":")
        if not module_name or not function_name:
            raise MissmodalError(f"encoder {spec!r}: expected python:package.module:function")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise MissmodalError(f"encoder {spec!r}: cannot import {module_name!r} ({error})") from None
        self.function = getattr(module, function_name, None)
        if not callable(self.function):
            raise MissmodalError(f"encoder {spec!r}: {module_name!r} has no function {function_name!r}")
        self.module = module

    def weights_hash(self) -> str:
        """sha256 of the module's source file (the function's code and anything it reads from there)."""
        source = inspect.getsourcefile(self.module)
        return file_sha256(source) if source else ""

    def encode(self, items: Sequence[Any]) -> np.ndarray:
        output = np.asarray(self.function(list(items)), dtype=np.float32)
        if output.ndim != 2 or (self._dim is not None and output.shape[1] != self._dim):
            raise MissmodalError(f"encoder {self.spec!r} returned shape {output.shape}, expected ({len(items)}, "
                                 f"{self._dim or 'd'})")
        self._dim = int(output.shape[1])
        return output
