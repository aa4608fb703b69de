"""Shared model list and helpers for the tests that run over every model family.

A new family joins the cross-cutting tests (forward pass, gradients, saving, registry) by adding
one ``(registry name, constructor arguments)`` line to ``TINY_MODELS``.
"""

import os
import pathlib

import numpy as np
import pytest

import kerascnn

TINY_INPUT_SHAPE = (32, 32, 3)
TINY_CLASSES = 5

# Registry name and extra constructor arguments. The narrowest widths keep each build fast.
TINY_MODELS = [
    ("squeezenet1_0", {}),
    ("squeezenet1_1", {}),
    ("mobilenet", {"alpha": 0.25}),
    ("mobilenet_v2", {"alpha": 0.35}),
]


def _build_tiny_model(name, kwargs, **overrides):
    arguments = {"input_shape": TINY_INPUT_SHAPE, "classes": TINY_CLASSES, **kwargs, **overrides}
    return kerascnn.models.get(name, **arguments)


def _perturb_weights(model, seed=0):
    """Replace every weight, batch normalization statistics included, with seeded random values.

    Freshly initialized models have zero biases, unit gamma and the trivial moving statistics
    (mean 0, variance 1), so a loader that dropped those would go unnoticed without this.
    """
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if "moving_variance" in variable.path:
            value = rng.uniform(0.5, 2.0, shape)
        elif "gamma" in variable.path:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = np.asarray(variable.numpy()) + rng.normal(0.0, 0.05, shape)
        variable.assign(value.astype(variable.dtype))


@pytest.fixture(params=TINY_MODELS, ids=[name for name, _ in TINY_MODELS])
def tiny_model_spec(request):
    """One ``(name, kwargs)`` pair of TINY_MODELS per test instance."""
    return request.param


@pytest.fixture(scope="session")
def tiny_model_specs():
    """The whole TINY_MODELS list, for tests that handle every model in one go."""
    return list(TINY_MODELS)


@pytest.fixture(scope="session")
def build_tiny_model():
    """Return a builder of registry models at 32x32x3 with 5 classes. Keyword arguments override both."""
    return _build_tiny_model


@pytest.fixture(scope="session")
def perturb_weights():
    """Return the function that replaces a model's weights in place with seeded random values."""
    return _perturb_weights


@pytest.fixture(scope="session")
def subprocess_environment():
    """Environment for child Python processes that must import this same kerascnn, installed or not."""
    repository_root = str(pathlib.Path(kerascnn.__file__).resolve().parents[1])
    environment = dict(os.environ)
    paths = [repository_root] + [path for path in environment.get("PYTHONPATH", "").split(os.pathsep) if path]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    environment["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return environment
