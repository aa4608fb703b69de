"""Max pooling with PyTorch's ``ceil_mode=True`` output size.

Caffe, and torchvision after it, size pooling outputs with ceil((n - k) / s) + 1 instead of
floor, so SqueezeNet 1.x and GoogLeNet keep a last, partial window at the bottom and right edges.
Keras pooling offers only "valid" (floor) and "same" (TensorFlow's symmetric-ish padding), and
neither gives that grid for every input size.
"""

import keras

from kerascnn._validation import check_strides


@keras.saving.register_keras_serializable(package="kerascnn")
class CeilMaxPooling2D(keras.layers.Layer):
    """2D max pooling whose output size is ceil((n - pool_size) / strides) + 1, as ceil_mode=True.

    The partial windows at the bottom and right edges take the maximum of the elements they
    cover. The layer repeats the last row and column ``strides - 1`` times and pools with
    "valid" padding. A repeated edge value is already inside the window that reaches it, so it
    never changes a maximum, whatever the sign of the input.

    Args:
        pool_size: int or pair of ints, window height and width.
        strides: int or pair of ints, at most ``pool_size`` along each axis (with a larger stride
            PyTorch drops windows that start in the padding, which this layer does not model).
        **kwargs: standard Layer arguments.

    Input shape: ``(batch, height, width, channels)``, each spatial size at least
        ``pool_size - strides + 1``.
    Output shape: ``(batch, ceil((height - pool_h) / stride_h) + 1, ..., channels)``.
    """

    def __init__(self, pool_size=3, strides=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = check_strides("pool_size", pool_size)
        self.strides = check_strides("strides", strides)
        for axis in (0, 1):
            if self.strides[axis] > self.pool_size[axis]:
                raise ValueError(
                    "`strides` must not exceed `pool_size` along any axis. "
                    f"Received: pool_size={pool_size!r}, strides={strides!r}"
                )

    def _output_length(self, length, axis):
        if length is None:
            return None
        self._check_length(length, axis)
        return (length + self.strides[axis] - 1 - self.pool_size[axis]) // self.strides[axis] + 1

    def _check_length(self, length, axis):
        # A shorter side leaves no window. PyTorch raises there, and the CPU max pool of
        # TensorFlow 2.21 kills the process with a floating point exception in eager mode.
        # NOTE: sizes unknown until run time (None) are not checked. In a traced graph TensorFlow
        # then returns an empty output or raises AbortedError.
        min_length = self.pool_size[axis] - self.strides[axis] + 1
        if length is not None and length < min_length:
            dimension = ("height", "width")[axis]
            raise ValueError(
                f"CeilMaxPooling2D with pool_size={self.pool_size} and strides={self.strides} needs an "
                f"input {dimension} of at least {min_length}. Received: input {dimension}={length}"
            )

    def _needs_edge(self, length, axis):
        # With (length - pool) divisible by the stride, valid pooling already covers every element.
        if self.strides[axis] == 1:
            return False
        return length is None or (length - self.pool_size[axis]) % self.strides[axis] != 0

    def call(self, inputs):
        x = inputs
        for axis in (0, 1):
            self._check_length(inputs.shape[axis + 1], axis)
            if self._needs_edge(inputs.shape[axis + 1], axis):
                edge = x[:, -1:, :, :] if axis == 0 else x[:, :, -1:, :]
                x = keras.ops.concatenate([x] + [edge] * (self.strides[axis] - 1), axis=axis + 1)
        return keras.ops.max_pool(x, self.pool_size, self.strides, padding="valid")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, self._output_length(height, 0), self._output_length(width, 1), channels)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "strides": self.strides})
        return config
