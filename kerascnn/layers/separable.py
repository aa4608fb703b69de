"""The depthwise separable convolution block of MobileNet V1.

Reference: Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv:1704.04861, 2017.
"""

import keras

from kerascnn._validation import (
    check_choice,
    check_fraction,
    check_positive_int,
    check_positive_number,
    check_strides,
)
from kerascnn.layers._shapes import strided_same_output_shape

# Batch normalization defaults of kerascnn's BN-based blocks. keras.applications uses momentum
# 0.99 (MobileNet) and 0.999 (MobileNetV2). At 0.9 the moving statistics settle within a few
# hundred steps, which training from scratch on a small data set needs.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-3

ACTIVATIONS = ("relu", "relu6")


@keras.saving.register_keras_serializable(package="kerascnn")
class DepthwiseSeparableConv(keras.layers.Layer):
    """3x3 depthwise convolution + BN + activation, then 1x1 pointwise convolution + BN + activation.

    This is the block of MobileNet V1 (figure 3 of the paper). Neither convolution has a bias,
    since batch normalization follows each. The depthwise convolution uses "same" padding, so a
    stride of 2 halves height and width, rounding up.

    Args:
        filters: int, output channels of the pointwise convolution. MobileNet passes
            ``int(filters * alpha)`` here.
        strides: int or pair, stride of the depthwise convolution. Defaults to 1.
        depth_multiplier: int, depthwise output channels per input channel. This is the channel
            multiplier of DepthwiseConv2D, not the paper's resolution multiplier rho.
            Defaults to 1.
        activation: "relu" (the paper) or "relu6" (the TF-slim and keras.applications
            implementations). Defaults to "relu".
        bn_momentum: float, momentum of both BatchNormalization layers. Defaults to 0.9.
        bn_epsilon: float, epsilon of both BatchNormalization layers. Defaults to 1e-3.
        **kwargs: standard Layer arguments.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, ceil(height / stride), ceil(width / stride), filters)``.
    """

    def __init__(
        self,
        filters,
        strides=1,
        depth_multiplier=1,
        activation="relu",
        bn_momentum=BN_MOMENTUM,
        bn_epsilon=BN_EPSILON,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.strides = check_strides("strides", strides)
        self.depth_multiplier = check_positive_int("depth_multiplier", depth_multiplier)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.bn_momentum = check_fraction("bn_momentum", bn_momentum, include_zero=True, include_one=False)
        self.bn_epsilon = check_positive_number("bn_epsilon", bn_epsilon)

    def build(self, input_shape):
        max_value = 6.0 if self.activation == "relu6" else None
        bn_options = dict(momentum=self.bn_momentum, epsilon=self.bn_epsilon, dtype=self.dtype_policy)

        self.depthwise = keras.layers.DepthwiseConv2D(
            3,
            strides=self.strides,
            padding="same",
            depth_multiplier=self.depth_multiplier,
            use_bias=False,
            name="depthwise",
            dtype=self.dtype_policy,
        )
        self.depthwise_bn = keras.layers.BatchNormalization(name="depthwise_bn", **bn_options)
        self.depthwise_relu = keras.layers.ReLU(max_value=max_value, name="depthwise_relu", dtype=self.dtype_policy)

        self.pointwise = keras.layers.Conv2D(
            self.filters, 1, use_bias=False, name="pointwise", dtype=self.dtype_policy
        )
        self.pointwise_bn = keras.layers.BatchNormalization(name="pointwise_bn", **bn_options)
        self.pointwise_relu = keras.layers.ReLU(max_value=max_value, name="pointwise_relu", dtype=self.dtype_policy)

        self.depthwise.build(input_shape)
        depthwise_shape = self.depthwise.compute_output_shape(input_shape)
        self.depthwise_bn.build(depthwise_shape)
        self.pointwise.build(depthwise_shape)
        self.pointwise_bn.build(self.pointwise.compute_output_shape(depthwise_shape))

    def call(self, inputs, training=None):
        x = self.depthwise(inputs)
        x = self.depthwise_bn(x, training=training)
        x = self.depthwise_relu(x)

        x = self.pointwise(x)
        x = self.pointwise_bn(x, training=training)
        return self.pointwise_relu(x)

    def compute_output_shape(self, input_shape):
        return strided_same_output_shape(input_shape, self.strides, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "strides": self.strides,
                "depth_multiplier": self.depth_multiplier,
                "activation": self.activation,
                "bn_momentum": self.bn_momentum,
                "bn_epsilon": self.bn_epsilon,
            }
        )
        return config
