"""Registry of model builders by name, the names that the CLI and ``get`` accept.

Each family module registers its variants when ``kerascnn.models`` is imported, so adding a
family means one ``register`` call per variant in that family's module.
"""

import dataclasses
import inspect


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """A registered model: its constructor, family, the arguments fixed for this name, and a summary.

    The family ("squeezenet", "mobilenet", ...) groups variants that share a training recipe.
    """

    name: str
    builder: object
    family: str
    fixed_kwargs: dict
    summary: str

    def accepts(self, argument):
        """Return True if ``argument`` may be passed to ``get`` for this model."""
        return argument in inspect.signature(self.builder).parameters and argument not in self.fixed_kwargs


_ENTRIES = {}


def register(name, builder, family, summary, **fixed_kwargs):
    """Register ``builder`` under ``name``, called with ``fixed_kwargs`` on every ``get``."""
    if name in _ENTRIES:
        raise ValueError(f"A model named {name!r} is already registered.")
    _ENTRIES[name] = ModelEntry(name, builder, family, dict(fixed_kwargs), summary)


def names():
    """Return the registered model names, sorted."""
    return sorted(_ENTRIES)


def entry(name):
    """Return the ModelEntry of ``name``, raising ValueError that lists the known names."""
    if name not in _ENTRIES:
        raise ValueError(f"Unknown model name {name!r}. Known models: {', '.join(names())}")
    return _ENTRIES[name]


def get(name, **kwargs):
    """Build the model registered as ``name``; ``kwargs`` go to its constructor.

    Raises:
        ValueError: if the name is unknown, or an argument does not apply to that model.
    """
    model_entry = entry(name)
    for argument in kwargs:
        if not model_entry.accepts(argument):
            raise ValueError(
                f"Model {name!r} does not take the argument {argument!r}. "
                f"Arguments it takes: {', '.join(_free_arguments(model_entry))}"
            )
    return model_entry.builder(**model_entry.fixed_kwargs, **kwargs)


def _free_arguments(model_entry):
    parameters = inspect.signature(model_entry.builder).parameters
    return [name for name in parameters if name not in model_entry.fixed_kwargs and name != "kwargs"]
