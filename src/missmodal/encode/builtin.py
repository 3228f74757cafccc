"""Imports the built-in encoder kinds so that they register themselves in :data:`~.base.ENCODERS`."""

from . import hf, numeric, pixels, python_callable, rocket, tfidf, torchscript  # noqa: F401
