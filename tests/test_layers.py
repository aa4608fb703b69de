"""Tests of the custom layers against shape rules, configs and independent NumPy references."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascnn.layers import CeilMaxPooling2D, DepthwiseSeparableConv, FireModule, InvertedResidual

RTOL = 1e-5
ATOL = 1e-5

# Constructor arguments and input channels of every layer configuration checked for shapes and
# configs.
LAYER_CASES = [
    pytest.param(FireModule, {"squeeze_filters": 3, "expand1x1_filters": 4, "expand3x3_filters": 6}, 5, id="fire"),
    pytest.param(DepthwiseSeparableConv, {"filters": 7}, 4, id="separable"),
    pytest.param(
        DepthwiseSeparableConv,
        {"filters": 6, "strides": 2, "depth_multiplier": 2, "activation": "relu6"},
        3,
        id="separable_stride2",
    ),
    pytest.param(InvertedResidual, {"filters": 4, "strides": 1, "expansion": 6}, 4, id="inverted_shortcut"),
    pytest.param(InvertedResidual, {"filters": 8, "strides": 2, "expansion": 1}, 4, id="inverted_stride2_t1"),
    pytest.param(InvertedResidual, {"filters": 5, "strides": (2, 1), "expansion": 2.5}, 4, id="inverted_mixed_stride"),
    pytest.param(CeilMaxPooling2D, {"pool_size": 3, "strides": 2}, 3, id="pool_3_2"),
    pytest.param(CeilMaxPooling2D, {"pool_size": (2, 3), "strides": (2, 1)}, 3, id="pool_2x3"),
]


def _random_input(shape, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0.0, scale, shape)).astype("float32")


def _call(layer, x):
    if isinstance(layer, (DepthwiseSeparableConv, InvertedResidual)):
        return np.asarray(layer(x, training=False))
    return np.asarray(layer(x))


# NumPy references. Kernels follow the Keras layouts: Conv2D (kh, kw, in, out) and
# DepthwiseConv2D (kh, kw, in, multiplier), applied as cross-correlation.


def _same_padding(length, stride, kernel=3):
    """Return (before, after) padding of TensorFlow's "same" rule, which puts any odd pixel after."""
    output = -(-length // stride)
    total = max((output - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


def _conv1x1(x, kernel, bias=None):
    y = np.einsum("nhwc,co->nhwo", x, kernel[0, 0])
    if bias is not None:
        y = y + bias
    return y


def _conv3x3_same(x, kernel, bias):
    """Full 3x3 convolution, stride 1, "same" padding, written as a loop over kernel offsets."""
    batch, height, width, _ = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    y = np.zeros((batch, height, width, kernel.shape[-1]))
    for di in range(3):
        for dj in range(3):
            window = padded[:, di : di + height, dj : dj + width, :]
            y += np.einsum("nhwc,co->nhwo", window, kernel[di, dj])
    return y + bias


def _depthwise3x3_same(x, kernel, strides):
    """Depthwise 3x3 convolution with "same" padding. Output channel c * multiplier + m comes from input channel c."""
    batch, height, width, channels = x.shape
    multiplier = kernel.shape[-1]
    top, bottom = _same_padding(height, strides[0])
    left, right = _same_padding(width, strides[1])
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out_height = -(-height // strides[0])
    out_width = -(-width // strides[1])
    y = np.zeros((batch, out_height, out_width, channels, multiplier))
    for i in range(out_height):
        for j in range(out_width):
            row = i * strides[0]
            col = j * strides[1]
            window = padded[:, row : row + 3, col : col + 3, :]
            y[:, i, j] = np.einsum("nabc,abcm->ncm", window, kernel)
    return y.reshape(batch, out_height, out_width, channels * multiplier)


def _batch_norm(x, bn):
    gamma = bn.gamma.numpy().astype("float64")
    beta = bn.beta.numpy().astype("float64")
    mean = bn.moving_mean.numpy().astype("float64")
    variance = bn.moving_variance.numpy().astype("float64")
    return (x - mean) / np.sqrt(variance + bn.epsilon) * gamma + beta


def _relu(x, max_value=None):
    y = np.maximum(x, 0.0)
    if max_value is not None:
        y = np.minimum(y, max_value)
    return y


def _set_batch_norm_statistics(bn, seed):
    """Give a BatchNormalization layer non-trivial gamma, beta and moving statistics."""
    rng = np.random.default_rng(seed)
    size = bn.gamma.shape[0]
    # Gamma and beta this large push some activations past 6, so ReLU6 clips in the comparisons.
    bn.gamma.assign(rng.uniform(1.0, 8.0, size).astype("float32"))
    bn.beta.assign(rng.normal(1.0, 2.0, size).astype("float32"))
    bn.moving_mean.assign(rng.normal(0.0, 0.5, size).astype("float32"))
    bn.moving_variance.assign(rng.uniform(0.2, 3.0, size).astype("float32"))


def _fire_reference(x, layer):
    squeeze = _relu(_conv1x1(x, layer.squeeze.kernel.numpy(), layer.squeeze.bias.numpy()))
    expand1x1 = _relu(_conv1x1(squeeze, layer.expand1x1.kernel.numpy(), layer.expand1x1.bias.numpy()))
    expand3x3 = _relu(_conv3x3_same(squeeze, layer.expand3x3.kernel.numpy(), layer.expand3x3.bias.numpy()))
    return np.concatenate([expand1x1, expand3x3], axis=-1)


def _separable_reference(x, layer):
    max_value = 6.0 if layer.activation == "relu6" else None
    y = _depthwise3x3_same(x, layer.depthwise.kernel.numpy(), layer.strides)
    y = _relu(_batch_norm(y, layer.depthwise_bn), max_value)
    y = _conv1x1(y, layer.pointwise.kernel.numpy())
    return _relu(_batch_norm(y, layer.pointwise_bn), max_value)


def _inverted_residual_reference(x, layer, shortcut):
    y = x
    if layer.expansion != 1:
        y = _conv1x1(y, layer.expand.kernel.numpy())
        y = _relu(_batch_norm(y, layer.expand_bn), 6.0)
    y = _depthwise3x3_same(y, layer.depthwise.kernel.numpy(), layer.strides)
    y = _relu(_batch_norm(y, layer.depthwise_bn), 6.0)
    y = _conv1x1(y, layer.project.kernel.numpy())
    y = _batch_norm(y, layer.project_bn)
    if shortcut:
        y = y + x
    return y


def _randomize_biases(layer, seed):
    rng = np.random.default_rng(seed)
    for conv in (layer.squeeze, layer.expand1x1, layer.expand3x3):
        conv.bias.assign(rng.normal(0.0, 0.3, conv.bias.shape).astype("float32"))


def _set_all_batch_norms(layer, seed):
    batch_norms = [value for value in vars(layer).values() if isinstance(value, keras.layers.BatchNormalization)]
    assert batch_norms, "the layer has no BatchNormalization sublayer"
    for offset, bn in enumerate(batch_norms):
        _set_batch_norm_statistics(bn, seed + offset)


# Shapes and configs of every layer.


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_output_shape_matches_static(layer_class, arguments, channels):
    layer = layer_class(**arguments)
    x = _random_input((2, 9, 12, channels))

    output = _call(layer, x)

    assert output.shape == layer.compute_output_shape(x.shape)


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_output_shape_with_none_spatial_dims(layer_class, arguments, channels):
    layer = layer_class(**arguments)
    inputs = keras.Input(shape=(None, None, channels))
    model = keras.Model(inputs, layer(inputs))

    assert model.output.shape == layer.compute_output_shape((None, None, None, channels))
    for height, width in ((7, 10), (12, 5)):
        output = model.predict(_random_input((1, height, width, channels)), verbose=0)
        assert output.shape == layer.compute_output_shape((1, height, width, channels)), (height, width)


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_output_shape_inside_graph_with_unknown_sizes(layer_class, arguments, channels):
    layer = layer_class(**arguments)
    layer.build((None, None, None, channels))
    signature = [tf.TensorSpec((None, None, None, channels), tf.float32)]
    graph_call = tf.function(lambda x: layer(x), input_signature=signature)

    for height, width in ((6, 11), (9, 8)):
        output = graph_call(_random_input((2, height, width, channels)))
        assert tuple(output.shape) == layer.compute_output_shape((2, height, width, channels)), (height, width)


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_config_is_json_serializable(layer_class, arguments, channels):
    config = layer_class(**arguments).get_config()

    text = json.dumps(config)

    assert json.loads(text)["name"] == config["name"]


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_config_round_trips_through_from_config(layer_class, arguments, channels):
    layer = layer_class(**arguments)
    x = _random_input((2, 9, 12, channels))
    expected = _call(layer, x)

    restored = layer_class.from_config(json.loads(json.dumps(layer.get_config())))
    restored.build(x.shape)
    restored.set_weights(layer.get_weights())

    assert restored.get_config() == layer.get_config()
    np.testing.assert_allclose(_call(restored, x), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("layer_class, arguments, channels", LAYER_CASES)
def test_config_round_trips_through_keras_serialization(layer_class, arguments, channels):
    layer = layer_class(**arguments)

    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    restored = keras.saving.deserialize_keras_object(serialized)

    assert type(restored) is layer_class
    assert restored.get_config() == layer.get_config()


def test_config_mirrors_constructor_arguments():
    layer = InvertedResidual(filters=12, strides=(2, 1), expansion=4, bn_momentum=0.5, bn_epsilon=1e-4)

    config = layer.get_config()

    assert config["filters"] == 12
    assert tuple(config["strides"]) == (2, 1)
    assert config["expansion"] == 4
    assert config["bn_momentum"] == 0.5
    assert config["bn_epsilon"] == 1e-4


# Invalid arguments: each message names the argument and the value received.


@pytest.mark.parametrize(
    "layer_class, arguments, pattern",
    [
        pytest.param(FireModule, dict(squeeze_filters=0, expand1x1_filters=4, expand3x3_filters=4),
                     r"`squeeze_filters` must be a positive integer\. Received: squeeze_filters=0", id="fire_squeeze"),
        pytest.param(FireModule, dict(squeeze_filters=2, expand1x1_filters=-1, expand3x3_filters=4),
                     r"Received: expand1x1_filters=-1", id="fire_expand1x1"),
        pytest.param(FireModule, dict(squeeze_filters=2, expand1x1_filters=4, expand3x3_filters=2.5),
                     r"Received: expand3x3_filters=2\.5", id="fire_expand3x3"),
        pytest.param(FireModule, dict(squeeze_filters=True, expand1x1_filters=4, expand3x3_filters=4),
                     r"Received: squeeze_filters=True", id="fire_bool"),
        pytest.param(FireModule, dict(squeeze_filters=2, expand1x1_filters=4, expand3x3_filters=4,
                                      kernel_initializer="no_such_initializer"),
                     r"Received: kernel_initializer='no_such_initializer'", id="fire_initializer"),
        pytest.param(DepthwiseSeparableConv, dict(filters=0),
                     r"`filters` must be a positive integer\. Received: filters=0", id="separable_filters"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, strides=0),
                     r"`strides` must be a positive integer or a pair", id="separable_strides"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, strides=(1, 2, 1)),
                     r"Received: strides=\(1, 2, 1\)", id="separable_strides_triple"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, depth_multiplier=0),
                     r"Received: depth_multiplier=0", id="separable_depth_multiplier"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, activation="gelu"),
                     r"`activation` must be one of 'relu', 'relu6'\. Received: activation='gelu'",
                     id="separable_activation"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, bn_momentum=1.0),
                     r"`bn_momentum` must be in the interval \[0, 1\)\. Received: bn_momentum=1\.0",
                     id="separable_momentum"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, bn_epsilon=-1e-3),
                     r"Received: bn_epsilon=-0\.001", id="separable_epsilon"),
        pytest.param(DepthwiseSeparableConv, dict(filters=4, bn_epsilon="small"),
                     r"Received: bn_epsilon='small'", id="separable_epsilon_text"),
        pytest.param(InvertedResidual, dict(filters=0, strides=1, expansion=6),
                     r"Received: filters=0", id="inverted_filters"),
        pytest.param(InvertedResidual, dict(filters=4, strides=(0, 1), expansion=6),
                     r"Received: strides=\(0, 1\)", id="inverted_strides"),
        pytest.param(InvertedResidual, dict(filters=4, strides=1, expansion=0),
                     r"`expansion` must be a number greater than 0\. Received: expansion=0", id="inverted_expansion"),
        pytest.param(InvertedResidual, dict(filters=4, strides=1, expansion=6, bn_momentum=-0.1),
                     r"Received: bn_momentum=-0\.1", id="inverted_momentum"),
        pytest.param(InvertedResidual, dict(filters=4, strides=1, expansion=6, bn_epsilon=0),
                     r"Received: bn_epsilon=0", id="inverted_epsilon"),
        pytest.param(CeilMaxPooling2D, dict(pool_size=0), r"Received: pool_size=0", id="pool_size"),
        pytest.param(CeilMaxPooling2D, dict(pool_size=3, strides=-2), r"Received: strides=-2", id="pool_strides"),
    ],
)
def test_invalid_argument_raises_value_error(layer_class, arguments, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer_class(**arguments)


def test_inverted_residual_unknown_channels_raises():
    layer = InvertedResidual(filters=4, strides=1, expansion=6)

    with pytest.raises(ValueError, match=r"InvertedResidual needs a known channel count"):
        layer.build((None, 8, 8, None))


# Outputs against the NumPy references.


@pytest.mark.parametrize("height, width", [(7, 9), (1, 1), (4, 2)])
def test_fire_module_matches_numpy(height, width):
    layer = FireModule(squeeze_filters=3, expand1x1_filters=4, expand3x3_filters=5)
    x = _random_input((2, height, width, 6), seed=1)
    layer.build(x.shape)
    _randomize_biases(layer, seed=2)

    output = _call(layer, x)
    expected = _fire_reference(x.astype("float64"), layer)

    np.testing.assert_allclose(output, expected, rtol=RTOL, atol=ATOL)


def test_fire_module_concatenates_1x1_first():
    layer = FireModule(squeeze_filters=2, expand1x1_filters=3, expand3x3_filters=4)
    x = _random_input((1, 5, 5, 3), seed=3)
    layer.build(x.shape)
    _randomize_biases(layer, seed=4)
    squeezed = _relu(_conv1x1(x.astype("float64"), layer.squeeze.kernel.numpy(), layer.squeeze.bias.numpy()))

    output = _call(layer, x)
    expand1x1 = _relu(_conv1x1(squeezed, layer.expand1x1.kernel.numpy(), layer.expand1x1.bias.numpy()))

    np.testing.assert_allclose(output[..., :3], expand1x1, rtol=RTOL, atol=ATOL)


def test_fire_module_reference_exercises_relu():
    layer = FireModule(squeeze_filters=3, expand1x1_filters=4, expand3x3_filters=5)
    x = _random_input((2, 7, 9, 6), seed=1)
    layer.build(x.shape)

    output = _call(layer, x)

    # Without both zeros and positive values, the ReLU of the reference would go untested.
    assert (output == 0).any()
    assert (output > 0).any()


@pytest.mark.parametrize(
    "arguments, input_shape",
    [
        pytest.param({"filters": 5}, (2, 7, 9, 4), id="relu"),
        pytest.param({"filters": 5, "activation": "relu6"}, (2, 7, 9, 4), id="relu6"),
        pytest.param({"filters": 6, "strides": 2}, (2, 8, 9, 4), id="stride2"),
        pytest.param({"filters": 3, "strides": 2, "depth_multiplier": 2, "activation": "relu6"}, (1, 6, 7, 3),
                     id="stride2_multiplier2"),
    ],
)
def test_depthwise_separable_matches_numpy(arguments, input_shape):
    layer = DepthwiseSeparableConv(**arguments)
    x = _random_input(input_shape, seed=5, scale=3.0)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=6)

    output = _call(layer, x)
    expected = _separable_reference(x.astype("float64"), layer)

    np.testing.assert_allclose(output, expected, rtol=RTOL, atol=ATOL)


def test_depthwise_separable_relu6_clips_at_six():
    layer = DepthwiseSeparableConv(filters=5, activation="relu6")
    x = _random_input((2, 7, 9, 4), seed=5, scale=3.0)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=6)
    relu_layer = DepthwiseSeparableConv(filters=5, activation="relu")
    relu_layer.build(x.shape)
    relu_layer.set_weights(layer.get_weights())

    output = _call(layer, x)
    unclipped = _call(relu_layer, x)

    # The relu6 comparison with NumPy means something only if some values reach the cap.
    assert (unclipped > 6).any()
    assert output.max() == pytest.approx(6.0)


def test_depthwise_separable_training_uses_batch_statistics():
    layer = DepthwiseSeparableConv(filters=5)
    x = _random_input((4, 6, 6, 3), seed=7)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=8)

    inference = np.asarray(layer(x, training=False))
    training = np.asarray(layer(x, training=True))

    assert not np.allclose(inference, training)


@pytest.mark.parametrize(
    "arguments, input_shape",
    [
        pytest.param({"filters": 4, "strides": 1, "expansion": 6}, (2, 7, 9, 4), id="t6"),
        pytest.param({"filters": 4, "strides": 1, "expansion": 1}, (2, 6, 5, 4), id="t1"),
        pytest.param({"filters": 3, "strides": 1, "expansion": 2.5}, (1, 5, 5, 3), id="t2.5"),
    ],
)
def test_inverted_residual_shortcut_matches_numpy(arguments, input_shape):
    layer = InvertedResidual(**arguments)
    x = _random_input(input_shape, seed=9, scale=2.0)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=10)

    output = _call(layer, x)
    expected = _inverted_residual_reference(x.astype("float64"), layer, shortcut=True)

    np.testing.assert_allclose(output, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "arguments, input_shape",
    [
        pytest.param({"filters": 6, "strides": 1, "expansion": 6}, (2, 7, 9, 4), id="channels_differ"),
        pytest.param({"filters": 4, "strides": 2, "expansion": 6}, (2, 8, 7, 4), id="stride2"),
        pytest.param({"filters": 4, "strides": (1, 2), "expansion": 1}, (1, 6, 6, 4), id="stride_1x2"),
    ],
)
def test_inverted_residual_without_shortcut_matches_numpy(arguments, input_shape):
    layer = InvertedResidual(**arguments)
    x = _random_input(input_shape, seed=11, scale=2.0)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=12)

    output = _call(layer, x)
    expected = _inverted_residual_reference(x.astype("float64"), layer, shortcut=False)

    np.testing.assert_allclose(output, expected, rtol=RTOL, atol=ATOL)


def test_inverted_residual_expansion_channels():
    layer = InvertedResidual(filters=8, strides=1, expansion=2.5)

    layer.build((None, 4, 4, 6))

    assert layer.expand.kernel.shape == (1, 1, 6, 15)
    assert layer.project.kernel.shape == (1, 1, 15, 8)


def test_inverted_residual_expansion_one_has_no_expand_conv():
    layer = InvertedResidual(filters=8, strides=1, expansion=1)

    layer.build((None, 4, 4, 6))

    assert layer.expand is None
    assert layer.depthwise.kernel.shape == (3, 3, 6, 1)


def test_inverted_residual_relu6_clips_at_six():
    layer = InvertedResidual(filters=4, strides=1, expansion=6)
    x = _random_input((2, 7, 9, 4), seed=9, scale=2.0)
    layer.build(x.shape)
    _set_all_batch_norms(layer, seed=10)

    expanded = _batch_norm(_conv1x1(x.astype("float64"), layer.expand.kernel.numpy()), layer.expand_bn)

    # The NumPy comparison tests the ReLU6 cap only if some activations exceed 6.
    assert (expanded > 6).any()
