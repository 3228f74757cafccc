"""The one model registry: fusion networks, tabular baselines and the validation ensemble by name.

Every model that ``missmodal train --model NAME``, :func:`missmodal.train.fit_model`, ``--model auto``'s
candidates and :func:`missmodal.models.load_model` accept is one entry of :data:`MODELS`, with its *kind*:

- ``"network"``: a :class:`~missmodal.models.base.FusionModel` subclass (the builder; trained by
  :class:`missmodal.train.Trainer`, saved and loaded as a :class:`~missmodal.models.FittedModel`);
- ``"tabular"``: a :class:`~missmodal.models.tabular.TabularModel` subclass (fitted by its own method);
- ``"ensemble"``: :class:`~missmodal.models.ensemble.EnsembleModel`, ``auto`` (fitted by
  :func:`missmodal.train.auto.fit_auto`).

Loading a saved model looks its ``architecture.name`` up here: a network is rebuilt from its parameters,
any other kind by its class's ``from_files`` (see :func:`missmodal.models.fitted.load_model`).

Adding a model
--------------
1. Write one module in ``missmodal/models/`` with the class, and put
   ``@MODELS.register("my-model", "one line of description", kind="network")`` on it (``kind="tabular"`` for a
   :class:`TabularModel` subclass, which implements ``fit_arrays`` and ``decision``).
2. Import that module in ``missmodal/models/__init__.py`` so that it registers.
3. Add a test under ``tests/models/``; the CLI, ``auto --candidates``, loading and the benchmarks pick the
   name up from the registry.

Layering (no import circle): this module and :mod:`~missmodal.models.files` (the model-file format) sit
at the bottom; ``hazard`` (the survival baseline hazard), ``predictor``, ``base`` and the network modules,
``fitted``, then ``tabular``, ``cox`` and ``ensemble`` build on them, and nothing below imports anything above it.

Examples
--------
>>> from missmodal.models import MODELS
>>> MODELS.kind_of("remind"), MODELS.kind_of("gbdt"), MODELS.kind_of("auto")
('network', 'tabular', 'ensemble')
>>> "logistic" in MODELS.names("tabular")
True
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..errors import UnknownNameError
from ..registry import Registry

KINDS = ("network", "tabular", "ensemble")


class ModelRegistry(Registry):
    """A :class:`~missmodal.registry.Registry` whose entries also carry a kind (one of :data:`KINDS`)."""

    def __init__(self, kind: str = "model"):
        super().__init__(kind)
        self._kinds: dict[str, str] = {}

    def register(self, name: str, description: str | None = None, kind: str = "network") -> Callable[[Callable], Callable]:
        """Decorator registering a model class under ``name`` with its ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"model kind must be one of {KINDS}, got {kind!r}")
        register = super().register(name, description)

        def decorator(builder: Callable) -> Callable:
            register(builder)
            self._kinds[name] = kind
            return builder

        return decorator

    def kind_of(self, name: str) -> str:
        """``"network"``, ``"tabular"`` or ``"ensemble"``; an error listing every known model otherwise."""
        self.get(name)
        return self._kinds[name]

    def names(self, kind: str | None = None) -> list[str]:
        """Registered names, all of them or those of one ``kind``."""
        return [n for n in self._builders if kind is None or self._kinds[n] == kind]

    def view(self, kind: str) -> "KindView":
        """The entries of one kind as a read-only registry (``in``, ``get``, ``build``, ``names``)."""
        return KindView(self, kind)


class KindView:
    """The entries of one kind of a :class:`ModelRegistry` (e.g. :data:`missmodal.models.TABULAR`)."""

    def __init__(self, registry: ModelRegistry, kind: str):
        self.registry, self.kind = registry, kind

    def names(self) -> list[str]:
        return self.registry.names(self.kind)

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self:
            known = ", ".join(sorted(self.names())) or "none"
            raise UnknownNameError(f"unknown {self.kind} model {name!r}; known: {known}")
        return self.registry.get(name)

    def build(self, name: str, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def describe(self, name: str) -> str:
        self.get(name)
        return self.registry.describe(name)

    def __contains__(self, name: object) -> bool:
        return name in self.registry and self.registry._kinds[name] == self.kind  # type: ignore[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


#: Every model by name, with its kind.
MODELS = ModelRegistry("model")
#: The fusion networks, the tabular baselines (views of :data:`MODELS`).
NETWORKS = MODELS.view("network")
TABULAR = MODELS.view("tabular")
#: Registry name of the validation ensemble.
ENSEMBLE = "auto"
