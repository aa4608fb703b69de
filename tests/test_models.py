"""Tests of the model constructors: published parameter counts, architecture options, input
handling, argument errors, weight loading and trainability."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascnn
from kerascnn.models.squeezenet import fire_module_filters

# Minimum input side of each registry model: SqueezeNet's is set by its valid 7x7 or 3x3 conv1
# and three 3x3/2 ceil-mode pools, MobileNet's by its total stride of 32.
MIN_INPUT_SIZES = [
    pytest.param("squeezenet1_0", {}, 21, id="squeezenet1_0"),
    pytest.param("squeezenet1_1", {}, 17, id="squeezenet1_1"),
    pytest.param("mobilenet", {"alpha": 0.25}, 32, id="mobilenet"),
    pytest.param("mobilenet_v2", {"alpha": 0.35}, 32, id="mobilenet_v2"),
]
SQUEEZENET_CONV1 = {"1.0": (96, 7), "1.1": (64, 3)}


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 1.0, shape).astype("float32")


def _predict(model, x):
    return np.asarray(model(x, training=False))


def _trainable_count(model):
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


def _conv_params(kernel, in_channels, out_channels, bias=True):
    return kernel * kernel * in_channels * out_channels + (out_channels if bias else 0)


def _squeezenet_params(version, classes, fire_filters):
    """Count SqueezeNet's parameters from its layer sizes: conv1, Fire modules and conv10."""
    conv1_filters, conv1_kernel = SQUEEZENET_CONV1[version]
    total = _conv_params(conv1_kernel, 3, conv1_filters)
    channels = conv1_filters
    for squeeze, expand1x1, expand3x3 in fire_filters:
        total += _conv_params(1, channels, squeeze)
        total += _conv_params(1, squeeze, expand1x1)
        total += _conv_params(3, squeeze, expand3x3)
        channels = expand1x1 + expand3x3
    return total + _conv_params(1, channels, classes)


def _paper_fire_filters(base_e, incr_e, pct_3x3, freq, squeeze_ratio):
    """Fire module sizes from the SqueezeNet paper's metaparameter formulas, for exact products."""
    filters = []
    for index in range(8):
        expand = base_e + incr_e * (index // freq)
        expand3x3 = expand * pct_3x3
        squeeze = expand * squeeze_ratio
        assert expand3x3 == int(expand3x3), "pick a pct_3x3 with an exact product"
        assert squeeze == int(squeeze), "pick a squeeze_ratio with an exact product"
        filters.append((int(squeeze), int(expand - expand3x3), int(expand3x3)))
    return filters


def _squeezenet_feature_size(version, size):
    """Side of SqueezeNet's last feature map: valid stride-2 conv1, then three ceil-mode 3x3/2 pools."""
    _, kernel = SQUEEZENET_CONV1[version]
    size = (size - kernel) // 2 + 1
    for _ in range(3):
        size = math.ceil((size - 3) / 2) + 1
    return size


# Published parameter counts of the full-size models at 224x224 with 1000 classes.


@pytest.mark.parametrize("version, expected", [("1.0", 1_248_424), ("1.1", 1_235_496)])
def test_squeezenet_parameter_count(version, expected):
    # Trainable parameters of torchvision's squeezenet1_0 and squeezenet1_1.
    model = kerascnn.SqueezeNet(version=version)

    assert _trainable_count(model) == expected
    assert model.count_params() == expected


@pytest.mark.parametrize(
    "alpha, expected",
    [(1.0, 4_253_864), (0.75, 2_601_976), (0.5, 1_342_536), (0.25, 475_544)],
)
def test_mobilenet_parameter_count(alpha, expected):
    model = kerascnn.MobileNet(alpha=alpha)
    reference = keras.applications.MobileNet(weights=None, alpha=alpha)

    assert model.count_params() == expected
    assert reference.count_params() == expected


@pytest.mark.parametrize(
    "alpha, expected",
    [
        (0.35, 1_691_208),
        (0.5, 1_987_224),
        (0.75, 2_663_064),
        (1.0, 3_538_984),
        (1.3, 5_431_048),
        (1.4, 6_156_712),
    ],
)
def test_mobilenet_v2_parameter_count(alpha, expected):
    model = kerascnn.MobileNetV2(alpha=alpha)
    reference = keras.applications.MobileNetV2(weights=None, alpha=alpha)

    assert model.count_params() == expected
    assert reference.count_params() == expected


# SqueezeNet metaparameters and bypass.


def test_fire_module_filters_defaults():
    filters = fire_module_filters(base_e=128, incr_e=128, pct_3x3=0.5, freq=2, squeeze_ratio=0.125)

    assert [squeeze for squeeze, _, _ in filters] == [16, 16, 32, 32, 48, 48, 64, 64]
    assert [expand1x1 for _, expand1x1, _ in filters] == [64, 64, 128, 128, 192, 192, 256, 256]
    assert [expand3x3 for _, _, expand3x3 in filters] == [64, 64, 128, 128, 192, 192, 256, 256]


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_squeezenet_fire_layers_use_default_filters(version):
    model = kerascnn.SqueezeNet(version=version, input_shape=(32, 32, 3), classes=5)
    expected = _paper_fire_filters(base_e=128, incr_e=128, pct_3x3=0.5, freq=2, squeeze_ratio=0.125)

    for number, (squeeze, expand1x1, expand3x3) in enumerate(expected, start=2):
        fire = model.get_layer(f"fire{number}")
        assert (fire.squeeze_filters, fire.expand1x1_filters, fire.expand3x3_filters) == (
            squeeze,
            expand1x1,
            expand3x3,
        ), f"fire{number}"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_squeezenet_default_count_matches_formula(version):
    fire_filters = _paper_fire_filters(base_e=128, incr_e=128, pct_3x3=0.5, freq=2, squeeze_ratio=0.125)

    model = kerascnn.SqueezeNet(version=version, input_shape=(32, 32, 3), classes=1000)

    assert model.count_params() == _squeezenet_params(version, 1000, fire_filters)


@pytest.mark.parametrize(
    "metaparameters",
    [
        pytest.param({"pct_3x3": 0.25}, id="pct_3x3_0.25"),
        pytest.param({"pct_3x3": 0.75, "freq": 1}, id="pct_3x3_0.75_freq1"),
        pytest.param({"freq": 4}, id="freq4"),
        pytest.param({"base_e": 64, "incr_e": 32, "squeeze_ratio": 0.25}, id="narrow"),
        pytest.param({"incr_e": 0, "squeeze_ratio": 0.5}, id="constant_width"),
    ],
)
def test_squeezenet_metaparameters_change_counts(metaparameters):
    settings = {"base_e": 128, "incr_e": 128, "pct_3x3": 0.5, "freq": 2, "squeeze_ratio": 0.125, **metaparameters}
    fire_filters = _paper_fire_filters(**settings)

    model = kerascnn.SqueezeNet(input_shape=(32, 32, 3), classes=7, **metaparameters)

    assert model.count_params() == _squeezenet_params("1.0", 7, fire_filters)
    assert model.count_params() != _squeezenet_params(
        "1.0", 7, _paper_fire_filters(base_e=128, incr_e=128, pct_3x3=0.5, freq=2, squeeze_ratio=0.125)
    )


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_squeezenet_simple_bypass_adds_identity(version):
    plain = kerascnn.SqueezeNet(version=version, input_shape=(32, 32, 3), classes=5)
    model = kerascnn.SqueezeNet(version=version, bypass="simple", input_shape=(32, 32, 3), classes=5)
    add_layers = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Add)]

    assert add_layers == ["fire3_bypass", "fire5_bypass", "fire7_bypass", "fire9_bypass"]
    assert model.count_params() == plain.count_params()
    for number in (3, 5, 7, 9):
        add_inputs = model.get_layer(f"fire{number}_bypass").input
        assert add_inputs[0] is model.get_layer(f"fire{number}").input, f"fire{number} shortcut"
        assert add_inputs[1] is model.get_layer(f"fire{number}").output, f"fire{number} residual"


def test_squeezenet_bypass_output_feeds_next_layer():
    model = kerascnn.SqueezeNet(bypass="simple", input_shape=(32, 32, 3), classes=5)

    assert model.get_layer("fire4").input is model.get_layer("fire3_bypass").output
    assert model.get_layer("fire6").input is model.get_layer("fire5_bypass").output
    assert model.get_layer("pool8").input is model.get_layer("fire8").output
    assert model.get_layer("dropout").input is model.get_layer("fire9_bypass").output


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_squeezenet_complex_bypass_adds_1x1_shortcuts(version):
    plain = kerascnn.SqueezeNet(version=version, input_shape=(32, 32, 3), classes=5)
    model = kerascnn.SqueezeNet(version=version, bypass="complex", input_shape=(32, 32, 3), classes=5)
    conv1_filters, _ = SQUEEZENET_CONV1[version]
    # (input channels, output channels) of the Fire modules whose widths differ: fire2, 4, 6, 8.
    shortcut_sizes = {2: (conv1_filters, 128), 4: (128, 256), 6: (256, 384), 8: (384, 512)}
    extra = sum(_conv_params(1, in_channels, out_channels) for in_channels, out_channels in shortcut_sizes.values())
    add_layers = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Add)]
    shortcut_convs = [layer.name for layer in model.layers if layer.name.endswith("_bypass_conv")]

    assert add_layers == [f"fire{number}_bypass" for number in range(2, 10)]
    assert shortcut_convs == ["fire2_bypass_conv", "fire4_bypass_conv", "fire6_bypass_conv", "fire8_bypass_conv"]
    assert model.count_params() == plain.count_params() + extra
    for number, (in_channels, out_channels) in shortcut_sizes.items():
        kernel = model.get_layer(f"fire{number}_bypass_conv").kernel
        assert tuple(kernel.shape) == (1, 1, in_channels, out_channels), f"fire{number}"


@pytest.mark.parametrize("conv10_relu, activation", [(False, "linear"), (True, "relu")])
def test_squeezenet_conv10_relu_option(conv10_relu, activation):
    model = kerascnn.SqueezeNet(input_shape=(32, 32, 3), classes=5, conv10_relu=conv10_relu)

    assert model.get_layer("conv10").activation is keras.activations.get(activation)
    assert model.count_params() == _squeezenet_params(
        "1.0", 5, _paper_fire_filters(base_e=128, incr_e=128, pct_3x3=0.5, freq=2, squeeze_ratio=0.125)
    )


def test_squeezenet_versions_differ_in_conv1_and_pools():
    version_1_0 = kerascnn.SqueezeNet(version="1.0", input_shape=(64, 64, 3), classes=5)
    version_1_1 = kerascnn.SqueezeNet(version="1.1", input_shape=(64, 64, 3), classes=5)
    pools_1_0 = [layer.name for layer in version_1_0.layers if isinstance(layer, kerascnn.layers.CeilMaxPooling2D)]
    pools_1_1 = [layer.name for layer in version_1_1.layers if isinstance(layer, kerascnn.layers.CeilMaxPooling2D)]

    assert tuple(version_1_0.get_layer("conv1").kernel.shape) == (7, 7, 3, 96)
    assert tuple(version_1_1.get_layer("conv1").kernel.shape) == (3, 3, 3, 64)
    assert pools_1_0 == ["pool1", "pool4", "pool8"]
    assert pools_1_1 == ["pool1", "pool3", "pool5"]


# Resolution multiplier rho.


@pytest.mark.parametrize("constructor", [kerascnn.MobileNet, kerascnn.MobileNetV2], ids=["v1", "v2"])
@pytest.mark.parametrize("rho, size", [(0.5, 112), (0.571, 128), (0.714, 160), (0.857, 192)])
def test_rho_sets_input_size(constructor, rho, size):
    model = constructor(alpha=0.5, rho=rho, classes=5)

    assert model.input_shape == (None, size, size, 3)


@pytest.mark.parametrize("constructor", [kerascnn.MobileNet, kerascnn.MobileNetV2], ids=["v1", "v2"])
def test_rho_with_agreeing_input_shape(constructor):
    model = constructor(alpha=0.5, rho=0.5, input_shape=(112, 112, 3), classes=5)

    assert model.input_shape == (None, 112, 112, 3)


@pytest.mark.parametrize("constructor", [kerascnn.MobileNet, kerascnn.MobileNetV2], ids=["v1", "v2"])
@pytest.mark.parametrize("input_shape", [(128, 128, 3), (112, 128, 3), (None, None, 3)])
def test_rho_with_disagreeing_input_shape_raises(constructor, input_shape):
    with pytest.raises(ValueError, match=r"`rho`=0\.5 means a 112x112 input \(round\(224 \* rho\)\)"):
        constructor(alpha=0.5, rho=0.5, input_shape=input_shape, classes=5)


def test_rho_with_disagreeing_input_tensor_raises():
    image = keras.Input(shape=(96, 96, 3))

    with pytest.raises(ValueError, match=r"`rho`=0\.5 means a 112x112 input"):
        kerascnn.MobileNet(alpha=0.5, rho=0.5, input_tensor=image, classes=5)


# Input shapes, pooling and heads of every model in the shared list.


def test_non_square_input_without_top(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    fixed = build_tiny_model(name, kwargs, include_top=False, input_shape=(48, 96, 3))
    flexible = build_tiny_model(name, kwargs, include_top=False, input_shape=(None, None, 3))
    flexible.set_weights(fixed.get_weights())
    x = _images((2, 48, 96, 3))

    output = _predict(fixed, x)

    assert output.shape == (2,) + fixed.output_shape[1:]
    assert output.shape[1] < output.shape[2]
    np.testing.assert_allclose(_predict(flexible, x), output, rtol=1e-5, atol=1e-6)


def test_none_spatial_dims_predict_two_sizes(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    model = build_tiny_model(name, kwargs, include_top=False, input_shape=(None, None, 3))

    assert model.input_shape == (None, None, None, 3)
    for height, width in ((40, 56), (64, 33)):
        reference = build_tiny_model(name, kwargs, include_top=False, input_shape=(height, width, 3))
        output = model.predict(_images((2, height, width, 3)), verbose=0)
        assert output.shape == (2,) + reference.output_shape[1:], (height, width)
        assert np.isfinite(output).all(), (height, width)


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("height, width", [(48, 64), (64, 48), (21, 37), (224, 224)])
def test_squeezenet_feature_map_size(version, height, width):
    model = kerascnn.SqueezeNet(version=version, include_top=False, input_shape=(height, width, 3))

    assert model.output_shape == (
        None,
        _squeezenet_feature_size(version, height),
        _squeezenet_feature_size(version, width),
        512,
    )


@pytest.mark.parametrize("constructor, channels", [(kerascnn.MobileNet, 256), (kerascnn.MobileNetV2, 1280)])
@pytest.mark.parametrize("height, width", [(48, 64), (33, 95), (224, 224)])
def test_mobilenet_feature_map_size(constructor, channels, height, width):
    alpha = 0.25 if constructor is kerascnn.MobileNet else 0.35
    model = constructor(alpha=alpha, include_top=False, input_shape=(height, width, 3))

    assert model.output_shape == (None, math.ceil(height / 32), math.ceil(width / 32), channels)


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_pooling_reduces_feature_map(tiny_model_spec, build_tiny_model, pooling):
    name, kwargs = tiny_model_spec
    features = build_tiny_model(name, kwargs, include_top=False, input_shape=(64, 48, 3))
    pooled = build_tiny_model(name, kwargs, include_top=False, pooling=pooling, input_shape=(64, 48, 3))
    pooled.set_weights(features.get_weights())
    x = _images((2, 64, 48, 3), seed=1)
    feature_map = _predict(features, x)
    reduce = np.mean if pooling == "avg" else np.max

    output = _predict(pooled, x)

    assert pooled.output_shape == (None, features.output_shape[-1])
    np.testing.assert_allclose(output, reduce(feature_map, axis=(1, 2)), rtol=1e-5, atol=1e-6)


def test_pooling_ignored_with_top(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec

    model = build_tiny_model(name, kwargs, pooling="max")

    assert model.output_shape == (None, 5)


def test_classifier_activation_none_returns_logits(tiny_model_spec, build_tiny_model, perturb_weights):
    name, kwargs = tiny_model_spec
    logits_model = build_tiny_model(name, kwargs, classifier_activation=None)
    perturb_weights(logits_model)
    softmax_model = build_tiny_model(name, kwargs)
    softmax_model.set_weights(logits_model.get_weights())
    x = _images((3, 32, 32, 3), seed=2)

    logits = _predict(logits_model, x)
    probabilities = _predict(softmax_model, x)

    assert not np.allclose(logits.sum(axis=-1), 1.0)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(tf.nn.softmax(logits)), probabilities, rtol=1e-5, atol=1e-6)


def test_input_tensor_becomes_model_input(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    image = keras.Input(shape=(32, 32, 3))

    model = build_tiny_model(name, kwargs, input_tensor=image, input_shape=None)

    assert model.inputs[0] is image
    assert model.output_shape == (None, 5)


def test_input_tensor_from_preprocessing_layer():
    image = keras.Input(shape=(40, 40, 3))
    scaled = keras.layers.Rescaling(1 / 255, name="rescale")(image)

    model = kerascnn.MobileNet(alpha=0.25, input_tensor=scaled, classes=5)

    assert model.inputs[0] is image
    assert model.get_layer("rescale") is not None
    assert model.output_shape == (None, 5)


# Minimum input sizes.


@pytest.mark.parametrize("name, kwargs, min_size", MIN_INPUT_SIZES)
def test_minimum_input_size_builds_and_predicts(name, kwargs, min_size):
    model = kerascnn.models.get(name, input_shape=(min_size, min_size, 3), classes=5, **kwargs)

    output = _predict(model, _images((1, min_size, min_size, 3)))

    assert output.shape == (1, 5)
    assert np.isfinite(output).all()


@pytest.mark.parametrize("name, kwargs, min_size", MIN_INPUT_SIZES)
@pytest.mark.parametrize("shrink_rows, shrink_cols", [(1, 1), (1, 0), (0, 1)])
def test_below_minimum_input_size_raises(name, kwargs, min_size, shrink_rows, shrink_cols):
    input_shape = (min_size - shrink_rows, min_size - shrink_cols, 3)

    with pytest.raises(ValueError, match=rf"needs an input of at least {min_size}x{min_size} pixels"):
        kerascnn.models.get(name, input_shape=input_shape, classes=5, **kwargs)


def test_squeezenet_below_minimum_at_run_time_raises():
    # With unknown sizes the minimum is checked only when the pools see the real input.
    model = kerascnn.SqueezeNet(input_shape=(None, None, 3), classes=5)

    with pytest.raises(ValueError, match=r"CeilMaxPooling2D .* needs an input height of at least 2"):
        model(_images((1, 12, 12, 3)), training=False)


# Argument errors: the message names the argument and the value received.


@pytest.mark.parametrize(
    "name, arguments, pattern",
    [
        pytest.param("mobilenet", {"alpha": 0}, r"`alpha` must be a number greater than 0\. Received: alpha=0",
                     id="mobilenet_alpha_zero"),
        pytest.param("mobilenet", {"alpha": -0.5}, r"Received: alpha=-0\.5", id="mobilenet_alpha_negative"),
        pytest.param("mobilenet", {"alpha": 0.01}, r"`alpha` must leave the first layer at least 1 filter",
                     id="mobilenet_alpha_tiny"),
        pytest.param("mobilenet_v2", {"alpha": 0}, r"`alpha` must be a number greater than 0\. Received: alpha=0",
                     id="mobilenet_v2_alpha_zero"),
        pytest.param("mobilenet", {"rho": 0}, r"`rho` must be a number greater than 0\. Received: rho=0",
                     id="mobilenet_rho_zero"),
        pytest.param("mobilenet_v2", {"rho": -1.0}, r"Received: rho=-1\.0", id="mobilenet_v2_rho_negative"),
        pytest.param("mobilenet", {"depth_multiplier": 0}, r"Received: depth_multiplier=0",
                     id="mobilenet_depth_multiplier"),
        pytest.param("mobilenet_v2", {"expansion": 0}, r"Received: expansion=0", id="mobilenet_v2_expansion"),
        pytest.param("mobilenet", {"dropout": 1.0}, r"`dropout` must be in the interval \[0, 1\)",
                     id="mobilenet_dropout"),
        pytest.param("squeezenet1_0", {"bypass": "full"},
                     r"`bypass` must be one of None, 'simple', 'complex'\. Received: bypass='full'",
                     id="squeezenet_bypass"),
        pytest.param("squeezenet1_0", {"pct_3x3": 1.0}, r"Received: pct_3x3=1\.0", id="squeezenet_pct_3x3"),
        pytest.param("squeezenet1_0", {"pct_3x3": 0.001}, r"`pct_3x3`=0\.001 leaves fire2 with",
                     id="squeezenet_pct_3x3_rounds_to_zero"),
        pytest.param("squeezenet1_0", {"freq": 0}, r"Received: freq=0", id="squeezenet_freq"),
        pytest.param("squeezenet1_0", {"incr_e": -1}, r"`incr_e` must be an integer >= 0\. Received: incr_e=-1",
                     id="squeezenet_incr_e"),
        pytest.param("squeezenet1_0", {"squeeze_ratio": 0}, r"Received: squeeze_ratio=0",
                     id="squeezenet_squeeze_ratio"),
        pytest.param("squeezenet1_1", {"dropout": -0.1}, r"Received: dropout=-0\.1", id="squeezenet_dropout"),
    ],
)
def test_family_argument_error(name, arguments, pattern):
    with pytest.raises(ValueError, match=pattern):
        kerascnn.models.get(name, input_shape=(32, 32, 3), classes=5, **arguments)


@pytest.mark.parametrize("version", ["1.2", "1", 1.0, None])
def test_squeezenet_unknown_version_raises(version):
    with pytest.raises(ValueError, match=rf"`version` must be one of '1\.0', '1\.1'\. Received: version={version!r}"):
        kerascnn.SqueezeNet(version=version, input_shape=(32, 32, 3), classes=5)


@pytest.mark.parametrize(
    "arguments, pattern",
    [
        pytest.param({"classes": 0}, r"`classes` must be a positive integer\. Received: classes=0", id="classes_zero"),
        pytest.param({"classes": 2.5}, r"Received: classes=2\.5", id="classes_float"),
        pytest.param({"include_top": False, "pooling": "sum"},
                     r"`pooling` must be one of None, 'avg', 'max'\. Received: pooling='sum'", id="pooling"),
        pytest.param({"include_top": "yes"}, r"`include_top` must be True or False\. Received: include_top='yes'",
                     id="include_top"),
        pytest.param({"classifier_activation": "no_such_activation"},
                     r"Received: classifier_activation='no_such_activation'", id="classifier_activation"),
        pytest.param({"weights": "imagenet"}, r"kerascnn downloads no pretrained weights", id="weights_imagenet"),
        pytest.param({"weights": "model.h5"}, r"`weights` must be a path ending in \.weights\.h5 or \.keras",
                     id="weights_suffix"),
        pytest.param({"weights": 3}, r"`weights` must be None or a file path\. Received: weights=3",
                     id="weights_type"),
        pytest.param({"input_shape": (32, 32)},
                     r"`input_shape` must be a tuple \(rows, cols, channels\) in channels_last order",
                     id="input_shape_length"),
        pytest.param({"input_shape": (32, 32, 3, 1)}, r"Received: input_shape=\(32, 32, 3, 1\)",
                     id="input_shape_length_four"),
        pytest.param({"input_shape": (32, 32, None)}, r"`input_shape` must give the number of channels",
                     id="input_shape_channels"),
        pytest.param({"input_shape": (32, 0, 3)}, r"`input_shape` must be a positive integer", id="input_shape_zero"),
    ],
)
def test_common_argument_error(tiny_model_spec, build_tiny_model, arguments, pattern):
    name, kwargs = tiny_model_spec

    with pytest.raises(ValueError, match=pattern):
        build_tiny_model(name, kwargs, **arguments)


def test_missing_weights_file_raises(tiny_model_spec, build_tiny_model, tmp_path):
    name, kwargs = tiny_model_spec
    missing = tmp_path / "missing.weights.h5"

    with pytest.raises(FileNotFoundError, match=r"`weights` file not found: '.*missing\.weights\.h5'"):
        build_tiny_model(name, kwargs, weights=missing)


def test_input_tensor_with_disagreeing_input_shape_raises(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    image = keras.Input(shape=(32, 32, 3))

    with pytest.raises(
        ValueError, match=r"`input_shape` \(40, 40, 3\) does not match the shape \(32, 32, 3\) of `input_tensor`"
    ):
        build_tiny_model(name, kwargs, input_tensor=image, input_shape=(40, 40, 3))


# Weights, forward pass and gradients of every model in the shared list.


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_weights_file_loads_identical_model(tiny_model_spec, build_tiny_model, perturb_weights, tmp_path, suffix):
    name, kwargs = tiny_model_spec
    source = build_tiny_model(name, kwargs)
    perturb_weights(source, seed=3)
    path = tmp_path / f"source{suffix}"
    if suffix == ".keras":
        source.save(path)
    else:
        source.save_weights(path)
    x = _images((2, 32, 32, 3), seed=4)

    loaded = build_tiny_model(name, kwargs, weights=path)

    np.testing.assert_array_equal(_predict(loaded, x), _predict(source, x))


def test_forward_pass_is_finite(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    model = build_tiny_model(name, kwargs)

    output = _predict(model, _images((2, 32, 32, 3), seed=5))

    assert output.shape == (2, 5)
    assert np.isfinite(output).all()
    np.testing.assert_allclose(output.sum(axis=-1), 1.0, rtol=1e-5)


def test_every_trainable_weight_gets_gradient(tiny_model_spec, build_tiny_model):
    name, kwargs = tiny_model_spec
    model = build_tiny_model(name, kwargs)
    x = _images((4, 32, 32, 3), seed=6)
    labels = np.array([0, 1, 2, 3])
    loss_function = keras.losses.SparseCategoricalCrossentropy()

    with tf.GradientTape() as tape:
        loss = loss_function(labels, model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_weights)

    assert np.isfinite(float(loss))
    for weight, gradient in zip(model.trainable_weights, gradients):
        assert gradient is not None, weight.path
        assert np.isfinite(np.asarray(gradient)).all(), weight.path


# Keras warns about the layers it cannot match before it raises.
@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_weights_from_other_architecture_raise(tmp_path):
    path = tmp_path / "squeezenet1_0.weights.h5"
    kerascnn.SqueezeNet(version="1.0", input_shape=(32, 32, 3), classes=5).save_weights(path)

    with pytest.raises(ValueError, match=r"`weights` file .*squeezenet1_0\.weights\.h5' does not match model 'squeezenet1_1'"):
        kerascnn.SqueezeNet(version="1.1", input_shape=(32, 32, 3), classes=5, weights=path)
