"""``hf:DIR``: a Hugging Face text or image model loaded from a local directory, never downloaded.

The directory is what ``save_pretrained`` writes: ``config.json``, the weights, and a tokenizer (text) or an
image processor (``preprocessor_config.json``, images). The Hugging Face offline switches are set before
transformers is imported and every load passes ``local_files_only=True``.

Text, ``pooling="mean"``: with h (n, T, d) the last hidden state and a (n, T) the attention mask,
``e_i = sum_t a_it h_it / sum_t a_it``; ``pooling="cls"``: ``e_i = h_i0``. Images: the model's pooled output
(``pooler_output``, else the mean of the last hidden state over patches).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import MissmodalError
from .base import ENCODERS, EncodeOptions, Encoder
from .hashing import directory_sha256

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt")
IMAGE_PROCESSOR_FILE = "preprocessor_config.json"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
POOLINGS = ("mean", "cls")


def offline_transformers():
    """The transformers module with every Hugging Face network switch off (set before its first import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return transformers


def model_directory(argument: str, spec: str) -> tuple[Path, str]:
    """The checked local model directory and its modality ("text" or "image"); a clear error otherwise."""
    if not argument:
        raise MissmodalError(f"encoder {spec!r}: expected hf:DIR, a local directory written by save_pretrained")
    directory = Path(argument).expanduser()
    if not directory.is_dir():
        raise MissmodalError(f"encoder {spec!r}: {directory} is not a local directory (models are never "
                             "downloaded; save one with save_pretrained and pass its folder)")
    if not (directory / "config.json").is_file():
        raise MissmodalError(f"encoder {spec!r}: {directory} has no config.json")
    if not any((directory / name).is_file() for name in WEIGHT_FILES):
        raise MissmodalError(f"encoder {spec!r}: {directory} has no weights ({' or '.join(WEIGHT_FILES[::2])})")
    if (directory / IMAGE_PROCESSOR_FILE).is_file():
        return directory, "image"
    if any((directory / name).is_file() for name in TOKENIZER_FILES):
        return directory, "text"
    raise MissmodalError(f"encoder {spec!r}: {directory} has neither a tokenizer ({', '.join(TOKENIZER_FILES)}) "
                         f"nor an image processor ({IMAGE_PROCESSOR_FILE})")


def resolve_device(name: str):
    """A torch device; asking for CUDA where there is none is a one-line error."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise MissmodalError(f"--device {name!r} is not a torch device (cpu, cuda, cuda:1, ...)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise MissmodalError(f"--device {name!r}: CUDA is not available on this machine")
    return device


@ENCODERS.register("hf", "Hugging Face text or image model from a local directory (hf:DIR)")
class HuggingFaceEncoder(Encoder):
    """Frozen Hugging Face model; its input kind (text or image) follows what the directory holds."""

    def __init__(self, spec: str, argument: str, options: EncodeOptions):
        super().__init__(spec, options)
        if options.pooling not in POOLINGS:
            raise MissmodalError(f"--pooling must be one of {', '.join(POOLINGS)}, got {options.pooling!r}")
        if options.max_length < 1:
            raise MissmodalError(f"--max-length must be >= 1, got {options.max_length}")
        self.directory, self.input_kind = model_directory(argument, spec)
        self.sort_by_length = self.input_kind == "text"
        self._model = None

    def _load(self):
        if self._model is None:
            transformers = offline_transformers()
            self.device = resolve_device(self.options.device)
            try:
                if self.input_kind == "text":
                    self._preprocess = transformers.AutoTokenizer.from_pretrained(self.directory, local_files_only=True)
                else:
                    self._preprocess = transformers.AutoImageProcessor.from_pretrained(self.directory, local_files_only=True)
                model = transformers.AutoModel.from_pretrained(self.directory, local_files_only=True)
            except (OSError, ValueError, KeyError) as error:
                raise MissmodalError(f"encoder {self.spec!r}: cannot load the model from {self.directory} "
                                     f"({str(error).splitlines()[0]})") from None
            if self.input_kind == "text" and self._preprocess.pad_token is None:
                raise MissmodalError(f"encoder {self.spec!r}: the tokenizer in {self.directory} has no padding token; "
                                     "set one (tokenizer.pad_token = tokenizer.eos_token) and save_pretrained again")
            self._model = model.eval().to(self.device)
        return self._model

    @property
    def dim(self) -> int:
        config = self._load().config
        return int(getattr(config, "hidden_size", None) or config.get_text_config().hidden_size)

    def weights_hash(self) -> str:
        if not hasattr(self, "_hash"):
            self._hash = directory_sha256(self.directory)
        return self._hash

    def provenance(self) -> dict[str, Any]:
        record = super().provenance()
        if self.input_kind == "text":
            record.update(pooling=self.options.pooling, max_length=self.options.max_length)
        else:
            record.update(pooling="pooler_output")
        record.update(input="hf-" + self.input_kind, model_type=self._load().config.model_type)
        return record

    def encode(self, items: Sequence[Any]) -> np.ndarray:
        import torch

        model = self._load()
        with torch.inference_mode():
            if self.input_kind == "text":
                batch = self._preprocess(list(items), padding=True, truncation=True, max_length=self.options.max_length,
                                         return_tensors="pt").to(self.device)
                hidden = model(**batch).last_hidden_state
                if self.options.pooling == "cls":
                    pooled = hidden[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            else:
                batch = self._preprocess(images=list(items), return_tensors="pt").to(self.device)
                output = model(**batch)
                pooled = getattr(output, "pooler_output", None)
                if pooled is None:
                    pooled = output.last_hidden_state.mean(dim=1)
            return pooled.float().cpu().numpy()
