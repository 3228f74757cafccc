"""Exceptions raised on bad input.

Every error message names what is wrong and where (file, column, row or parameter), so that the command line
can print it as one line and a Python user can act on it without a traceback.
"""


class MissmodalError(ValueError):
    """Base class of every input error missmodal raises on purpose."""


class DataFormatError(MissmodalError):
    """A file or array does not follow the documented data layout."""


class InsufficientDataError(MissmodalError):
    """Valid input with too few samples (overall, per class or per group) for the estimate asked for."""


class UnknownNameError(MissmodalError, KeyError):
    """A name (dataset, method, model, modality) is not registered."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""
