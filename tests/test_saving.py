"""Tests that every model saved as .keras loads in a fresh Python process with only kerascnn
imported, and predicts exactly what the original predicted."""

import json
import subprocess
import sys

import numpy as np
import pytest

# Loads each saved model without custom_objects and stores its predictions beside the file. The
# layer classes come from kerascnn's registration under the "kerascnn" package at import time.
LOADER_SCRIPT = """
import json
import pathlib
import sys

import keras
import numpy as np

import kerascnn

directory = pathlib.Path(sys.argv[1])
images = np.load(directory / "images.npy")
for name in json.loads((directory / "names.json").read_text()):
    model = keras.saving.load_model(directory / f"{name}.keras")
    np.save(directory / f"{name}_loaded.npy", np.asarray(model(images, training=False)))
    layer_classes = [type(layer).__name__ for layer in model.layers]
    (directory / f"{name}_layers.json").write_text(json.dumps(layer_classes))
"""

MAX_ABS_DIFFERENCE = 1e-6


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory, tiny_model_specs, build_tiny_model, perturb_weights, subprocess_environment):
    """Save every shared-list model, load them all in one fresh process, and return the results.

    Returns a dict from model name to (original predictions, loaded predictions, original layer
    class names, loaded layer class names).
    """
    directory = tmp_path_factory.mktemp("saving")
    images = np.random.default_rng(0).uniform(0.0, 1.0, (3, 32, 32, 3)).astype("float32")
    np.save(directory / "images.npy", images)

    originals = {}
    for seed, (name, kwargs) in enumerate(tiny_model_specs):
        model = build_tiny_model(name, kwargs)
        perturb_weights(model, seed=seed)
        model.save(directory / f"{name}.keras")
        predictions = np.asarray(model(images, training=False))
        originals[name] = (predictions, [type(layer).__name__ for layer in model.layers])
    (directory / "names.json").write_text(json.dumps(list(originals)))
    (directory / "loader.py").write_text(LOADER_SCRIPT)

    completed = subprocess.run(
        [sys.executable, str(directory / "loader.py"), str(directory)],
        env=subprocess_environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    results = {}
    for name, (predictions, layer_classes) in originals.items():
        loaded = np.load(directory / f"{name}_loaded.npy")
        loaded_classes = json.loads((directory / f"{name}_layers.json").read_text())
        results[name] = (predictions, loaded, layer_classes, loaded_classes)
    return results


def test_loaded_model_predicts_identically(saved_models, tiny_model_spec):
    name, _ = tiny_model_spec
    original, loaded, _, _ = saved_models[name]

    assert loaded.shape == original.shape
    assert np.abs(loaded - original).max() <= MAX_ABS_DIFFERENCE


def test_loaded_model_keeps_layer_classes(saved_models, tiny_model_spec):
    name, _ = tiny_model_spec
    _, _, layer_classes, loaded_classes = saved_models[name]

    assert loaded_classes == layer_classes


def test_saved_models_contain_custom_layers(saved_models):
    custom_classes = {"FireModule", "CeilMaxPooling2D", "DepthwiseSeparableConv", "InvertedResidual"}
    found = set()

    for _, _, _, loaded_classes in saved_models.values():
        found.update(custom_classes.intersection(loaded_classes))

    # Every custom layer class must go through a save and fresh-process load at least once.
    assert found == custom_classes
