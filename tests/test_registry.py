"""Tests of the model registry: names, building by name and argument checks."""

import re

import keras
import pytest

import kerascnn
from kerascnn.models import registry

FAMILY_NAMES = ["mobilenet", "mobilenet_v2", "squeezenet1_0", "squeezenet1_1"]


def test_names_lists_families():
    names = kerascnn.models.names()

    for name in FAMILY_NAMES:
        assert name in names, name


def test_names_are_sorted_and_unique():
    names = kerascnn.models.names()

    assert names == sorted(names)
    assert len(names) == len(set(names))


def test_shared_model_list_is_registered(tiny_model_specs):
    names = kerascnn.models.names()

    for name, _ in tiny_model_specs:
        assert name in names, name


def test_get_builds_model(tiny_model_spec):
    name, kwargs = tiny_model_spec

    model = kerascnn.models.get(name, input_shape=(32, 32, 3), classes=5, **kwargs)

    assert isinstance(model, keras.Model)
    assert model.input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, 5)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_entry_has_family_and_summary(name):
    entry = kerascnn.models.entry(name)

    assert entry.name == name
    assert name.startswith(entry.family)
    assert entry.summary.strip()


@pytest.mark.parametrize(
    "name, version, conv1_kernel",
    [("squeezenet1_0", "1.0", (7, 7, 3, 96)), ("squeezenet1_1", "1.1", (3, 3, 3, 64))],
)
def test_squeezenet_names_fix_version(name, version, conv1_kernel):
    model = kerascnn.models.get(name, input_shape=(32, 32, 3), classes=5)

    assert kerascnn.models.entry(name).fixed_kwargs == {"version": version}
    assert tuple(model.get_layer("conv1").kernel.shape) == conv1_kernel
    assert model.name == name


@pytest.mark.parametrize("unknown", ["resnet50", "SqueezeNet1_0", ""])
def test_unknown_name_lists_known_names(unknown):
    known = ", ".join(kerascnn.models.names())
    pattern = rf"Unknown model name {re.escape(repr(unknown))}\. Known models: {re.escape(known)}$"

    with pytest.raises(ValueError, match=pattern):
        kerascnn.models.get(unknown)


@pytest.mark.parametrize(
    "name, argument, value",
    [
        ("squeezenet1_1", "alpha", 0.5),
        ("squeezenet1_0", "version", "1.1"),
        ("squeezenet1_1", "version", "1.0"),
        ("mobilenet", "bypass", "simple"),
        ("mobilenet", "expansion", 4),
        ("mobilenet_v2", "depth_multiplier", 2),
        ("mobilenet_v2", "kwargs", {}),
    ],
)
def test_argument_model_does_not_take_raises(name, argument, value):
    pattern = rf"Model '{name}' does not take the argument '{argument}'\. Arguments it takes: "

    with pytest.raises(ValueError, match=pattern):
        kerascnn.models.get(name, **{argument: value})


def test_rejected_argument_message_lists_accepted_arguments():
    with pytest.raises(ValueError) as error:
        kerascnn.models.get("squeezenet1_0", version="1.1")

    accepted = str(error.value).split("Arguments it takes: ")[1].split(", ")
    assert "version" not in accepted
    assert "bypass" in accepted
    assert "classes" in accepted


def test_register_duplicate_name_raises():
    with pytest.raises(ValueError, match=r"A model named 'mobilenet' is already registered\."):
        registry.register("mobilenet", kerascnn.MobileNet, family="mobilenet", summary="duplicate")
