"""``torchscript:FILE``: a scripted (or traced) module mapping a batch tensor (n, ...) to (n, d).

Items are arrays (``.npy``/``.csv`` files, list cells, or images as (3, H, W) floats in [0, 1]) stacked into
one float32 batch, so every item of a modality must have the same shape.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import MissmodalError
from .base import ENCODERS, EncodeOptions, ProbedEncoder
from .hashing import file_sha256
from .hf import resolve_device


@ENCODERS.register("torchscript", "TorchScript module file mapping a batch tensor to (n, d) (torchscript:FILE)")
class TorchScriptEncoder(ProbedEncoder):
    input_kind = "array"

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, options)
        self.path = Path(argument).expanduser()
        if not self.path.is_file():
            raise MissmodalError(f"encoder {spec!r}: {self.path} is not a file")
        self._module = None

    def _load(self):
        import torch

        if self._module is None:
            self.device = resolve_device(self.options.device)
            try:
                with warnings.catch_warnings():  # torch >= 2.10 deprecates TorchScript; the files still load
                    warnings.filterwarnings("ignore", message=".*torch.jit.load.*", category=DeprecationWarning)
                    self._module = torch.jit.load(str(self.path), map_location=self.device).eval()
            except RuntimeError as error:
                raise MissmodalError(f"encoder {self.spec!r}: {self.path} is not a TorchScript file "
                                     f"({str(error).splitlines()[0]})") from None
        return self._module

    def weights_hash(self) -> str:
        return file_sha256(self.path)

    def encode(self, items: Sequence[np.ndarray]) -> np.ndarray:
        import torch

        shapes = {item.shape for item in items}
        if len(shapes) > 1:
            raise MissmodalError(f"encoder {self.spec!r}: items of one batch differ in shape {sorted(shapes)[:2]}; "
                                 "a TorchScript batch needs equal shapes")
        module = self._load()
        with torch.inference_mode():
            output = module(torch.from_numpy(np.stack(items)).to(self.device))
        if not isinstance(output, torch.Tensor) or output.ndim != 2:
            raise MissmodalError(f"encoder {self.spec!r}: the module must return an (n, d) tensor")
        self._dim = int(output.shape[1])
        return output.float().cpu().numpy()
