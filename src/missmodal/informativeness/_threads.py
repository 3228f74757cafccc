"""The single-threaded block of the many small fits of this package: :func:`missmodal._parallel.single_threaded`
(the package's one thread and process policy), under the name these modules import."""

from .._parallel import single_threaded

__all__ = ["single_threaded"]
