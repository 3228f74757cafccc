"""A small name -> builder registry, one per kind of component (timm style).

The command line, the benchmarks and the tests name datasets, simulators, imputers and models through these
registries, so a new method is one module plus one ``@registry.register("name")`` line.

Examples
--------
>>> from missmodal.registry import Registry
>>> shapes = Registry("shape")
>>> @shapes.register("square")
... def square(side=1):
...     return side * side
>>> shapes.build("square", side=3)
9
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .errors import UnknownNameError


class Registry:
    """Maps names to builders (classes or functions) of one kind of component."""

    def __init__(self, kind: str):
        self.kind = kind
        self._builders: dict[str, Callable[..., Any]] = {}
        self._descriptions: dict[str, str] = {}

    def register(self, name: str, description: str | None = None) -> Callable[[Callable], Callable]:
        """Decorator that registers ``builder`` under ``name``; a name may be registered once."""

        def decorator(builder: Callable) -> Callable:
            if name in self._builders:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._builders[name] = builder
            doc = description or (builder.__doc__ or "").strip().splitlines()[0:1]
            self._descriptions[name] = doc if isinstance(doc, str) else (doc[0] if doc else "")
            return builder

        return decorator

    def get(self, name: str) -> Callable[..., Any]:
        """The builder registered under ``name``; a clear error lists the known names otherwise."""
        try:
            return self._builders[name]
        except KeyError:
            known = ", ".join(sorted(self._builders)) or "none"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def build(self, name: str, **kwargs: Any) -> Any:
        """Call the builder registered under ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def describe(self, name: str) -> str:
        """First docstring line (or the given description) of ``name``."""
        self.get(name)
        return self._descriptions[name]

    def names(self) -> list[str]:
        return list(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)
