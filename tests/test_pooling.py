"""Tests of CeilMaxPooling2D against a NumPy max pool with PyTorch's ceil_mode=True grid."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascnn.layers import CeilMaxPooling2D

MAX_SIZE = 12
# (pool_size, strides) pairs. With stride 1 the smallest valid side is the pool size itself.
POOL_SETTINGS = {
    "pool3_stride2": ((3, 3), (2, 2)),
    "pool2_stride2": ((2, 2), (2, 2)),
    "pool3_stride1": ((3, 3), (1, 1)),
    "pool3x2_stride2x1": ((3, 2), (2, 1)),
}
POOL_PARAMS = [pytest.param(*setting, id=name) for name, setting in POOL_SETTINGS.items()]


def _min_length(pool, stride):
    return pool - stride + 1


def _size_cases():
    """Height runs up and width runs down over 2..12, so odd and even sizes meet both edges."""
    cases = []
    for name, (pool_size, strides) in POOL_SETTINGS.items():
        min_height = max(2, _min_length(pool_size[0], strides[0]))
        min_width = max(2, _min_length(pool_size[1], strides[1]))
        for height in range(min_height, MAX_SIZE + 1):
            width = max(min_width, MAX_SIZE + 2 - height)
            cases.append(pytest.param(height, width, pool_size, strides, id=f"{name}-{height}x{width}"))
    return cases


def _ceil_output_length(length, pool, stride):
    """PyTorch max_pool2d output length with ceil_mode=True and no padding."""
    return math.ceil((length - pool) / stride) + 1


def _ceil_max_pool(x, pool_size, strides):
    """Max pool whose last windows are clipped at the bottom and right edges."""
    batch, height, width, channels = x.shape
    out_height = _ceil_output_length(height, pool_size[0], strides[0])
    out_width = _ceil_output_length(width, pool_size[1], strides[1])
    y = np.empty((batch, out_height, out_width, channels), dtype=x.dtype)
    for i in range(out_height):
        for j in range(out_width):
            top = i * strides[0]
            left = j * strides[1]
            window = x[:, top : min(top + pool_size[0], height), left : min(left + pool_size[1], width), :]
            y[:, i, j, :] = window.max(axis=(1, 2))
    return y


def _random_input(shape, sign, seed):
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(1.0, 2.0, shape)
    if sign == "negative":
        return (-magnitude).astype("float32")
    return (magnitude * rng.choice([-1.0, 1.0], shape)).astype("float32")


def test_reference_output_length_formula():
    # Known PyTorch ceil_mode sizes: SqueezeNet 1.0 pools 109 -> 54 -> 27 -> 13.
    assert _ceil_output_length(109, 3, 2) == 54
    assert _ceil_output_length(55, 3, 2) == 27
    assert _ceil_output_length(27, 3, 2) == 13
    assert _ceil_output_length(2, 3, 2) == 1


@pytest.mark.parametrize("sign", ["negative", "mixed"])
@pytest.mark.parametrize("height, width, pool_size, strides", _size_cases())
def test_ceil_pool_matches_numpy(height, width, pool_size, strides, sign):
    x = _random_input((2, height, width, 3), sign, seed=height * 13 + width)
    layer = CeilMaxPooling2D(pool_size, strides)

    output = np.asarray(layer(x))

    np.testing.assert_array_equal(output, _ceil_max_pool(x, pool_size, strides))


@pytest.mark.parametrize("pool_size, strides", POOL_PARAMS)
def test_ceil_pool_output_shape_formula(pool_size, strides):
    layer = CeilMaxPooling2D(pool_size, strides)

    for size in range(_min_length(pool_size[0], strides[0]), MAX_SIZE + 1):
        height = size
        width = size + 1
        expected = (
            4,
            _ceil_output_length(height, pool_size[0], strides[0]),
            _ceil_output_length(width, pool_size[1], strides[1]),
            2,
        )
        assert layer.compute_output_shape((4, height, width, 2)) == expected, (height, width)


def test_ceil_pool_partial_window_keeps_negative_maximum():
    # A 4x4 input pooled 3/2 has a last window covering only rows 2..3 and columns 2..3. Zero
    # padding would report 0 there instead of the true maximum -1.
    x = np.full((1, 4, 4, 1), -5.0, dtype="float32")
    x[0, 3, 3, 0] = -1.0

    output = np.asarray(CeilMaxPooling2D(3, 2)(x))

    assert output.shape == (1, 2, 2, 1)
    assert output[0, 1, 1, 0] == -1.0
    assert output[0, 0, 0, 0] == -5.0


@pytest.mark.parametrize("pool_size, strides", POOL_PARAMS)
def test_ceil_pool_with_unknown_sizes_in_graph(pool_size, strides):
    layer = CeilMaxPooling2D(pool_size, strides)
    signature = [tf.TensorSpec((None, None, None, 3), tf.float32)]
    graph_call = tf.function(lambda x: layer(x), input_signature=signature)

    for height, width in ((5, 8), (8, 5), (7, 7), (3, 12)):
        x = _random_input((1, height, width, 3), "negative", seed=height * width)
        output = graph_call(x).numpy()
        np.testing.assert_array_equal(output, _ceil_max_pool(x, pool_size, strides), err_msg=f"{height}x{width}")


def test_ceil_pool_with_none_spatial_dims_in_model():
    layer = CeilMaxPooling2D(3, 2)
    inputs = keras.Input(shape=(None, None, 2))
    model = keras.Model(inputs, layer(inputs))

    assert model.output.shape == (None, None, None, 2)
    for height, width in ((9, 6), (6, 11)):
        x = _random_input((2, height, width, 2), "mixed", seed=height)
        output = model.predict(x, verbose=0)
        np.testing.assert_array_equal(output, _ceil_max_pool(x, (3, 3), (2, 2)), err_msg=f"{height}x{width}")


@pytest.mark.parametrize(
    "pool_size, strides",
    [(2, 3), ((3, 3), (2, 4)), ((2, 3), (3, 1))],
)
def test_strides_larger_than_pool_raise(pool_size, strides):
    with pytest.raises(ValueError, match=r"`strides` must not exceed `pool_size` along any axis"):
        CeilMaxPooling2D(pool_size, strides)


def test_integer_arguments_become_pairs():
    layer = CeilMaxPooling2D(3, 2)

    assert layer.pool_size == (3, 3)
    assert layer.strides == (2, 2)


@pytest.mark.parametrize(
    "pool_size, strides, input_shape, pattern",
    [
        ((3, 3), (1, 1), (1, 12, 2, 3), r"needs an input width of at least 3\. Received: input width=2"),
        ((3, 3), (2, 2), (1, 1, 5, 3), r"needs an input height of at least 2\. Received: input height=1"),
    ],
)
def test_input_smaller_than_window_raises(pool_size, strides, input_shape, pattern):
    layer = CeilMaxPooling2D(pool_size, strides)

    with pytest.raises(ValueError, match=pattern):
        layer(np.zeros(input_shape, dtype="float32"))
    with pytest.raises(ValueError, match=pattern):
        layer.compute_output_shape(input_shape)
