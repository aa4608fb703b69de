"""The inverted residual block with linear bottleneck of MobileNet V2.

Reference: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
arXiv:1801.04381, CVPR 2018.
"""

import keras

from kerascnn._validation import check_fraction, check_positive_int, check_positive_number, check_strides
from kerascnn.layers._shapes import strided_same_output_shape
from kerascnn.layers.separable import BN_EPSILON, BN_MOMENTUM


@keras.saving.register_keras_serializable(package="kerascnn")
class InvertedResidual(keras.layers.Layer):
    """1x1 expansion + ReLU6, 3x3 depthwise + ReLU6, 1x1 linear projection, optional identity shortcut.

    Each convolution is bias-free and followed by batch normalization. The projection has no
    activation (the paper's linear bottleneck). With ``expansion == 1`` the expansion convolution
    is left out, as in the first block of MobileNetV2. The input is added to the output when the
    stride is 1 and the input already has ``filters`` channels.

    Args:
        filters: int, output channels of the projection.
        strides: int or pair, stride of the depthwise convolution ("same" padding).
        expansion: number, the expansion factor t: the expansion convolution has
            ``round(input_channels * expansion)`` output channels.
        bn_momentum: float, momentum of every BatchNormalization layer. Defaults to 0.9.
        bn_epsilon: float, epsilon of every BatchNormalization layer. Defaults to 1e-3.
        **kwargs: standard Layer arguments.

    Input shape: ``(batch, height, width, channels)``; channels must be known.
    Output shape: ``(batch, ceil(height / stride), ceil(width / stride), filters)``.
    """

    def __init__(self, filters, strides, expansion, bn_momentum=BN_MOMENTUM, bn_epsilon=BN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.strides = check_strides("strides", strides)
        self.expansion = check_positive_number("expansion", expansion)
        self.bn_momentum = check_fraction("bn_momentum", bn_momentum, include_zero=True, include_one=False)
        self.bn_epsilon = check_positive_number("bn_epsilon", bn_epsilon)

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if in_channels is None:
            raise ValueError(f"InvertedResidual needs a known channel count. Received: input_shape={input_shape}")
        self.expanded_channels = max(1, int(round(in_channels * self.expansion)))
        self.use_shortcut = self.strides == (1, 1) and in_channels == self.filters
        bn_options = dict(momentum=self.bn_momentum, epsilon=self.bn_epsilon, dtype=self.dtype_policy)
        shape = input_shape

        self.expand = None
        if self.expansion != 1:
            self.expand = keras.layers.Conv2D(
                self.expanded_channels, 1, use_bias=False, name="expand", dtype=self.dtype_policy
            )
            self.expand_bn = keras.layers.BatchNormalization(name="expand_bn", **bn_options)
            self.expand_relu = keras.layers.ReLU(max_value=6.0, name="expand_relu", dtype=self.dtype_policy)
            self.expand.build(shape)
            shape = self.expand.compute_output_shape(shape)
            self.expand_bn.build(shape)

        self.depthwise = keras.layers.DepthwiseConv2D(
            3, strides=self.strides, padding="same", use_bias=False, name="depthwise", dtype=self.dtype_policy
        )
        self.depthwise_bn = keras.layers.BatchNormalization(name="depthwise_bn", **bn_options)
        self.depthwise_relu = keras.layers.ReLU(max_value=6.0, name="depthwise_relu", dtype=self.dtype_policy)
        self.depthwise.build(shape)
        shape = self.depthwise.compute_output_shape(shape)
        self.depthwise_bn.build(shape)

        self.project = keras.layers.Conv2D(self.filters, 1, use_bias=False, name="project", dtype=self.dtype_policy)
        self.project_bn = keras.layers.BatchNormalization(name="project_bn", **bn_options)
        self.project.build(shape)
        self.project_bn.build(self.project.compute_output_shape(shape))

    def call(self, inputs, training=None):
        x = inputs
        if self.expand is not None:
            x = self.expand(x)
            x = self.expand_bn(x, training=training)
            x = self.expand_relu(x)

        x = self.depthwise(x)
        x = self.depthwise_bn(x, training=training)
        x = self.depthwise_relu(x)

        x = self.project(x)
        x = self.project_bn(x, training=training)

        if self.use_shortcut:
            x = keras.ops.add(inputs, x)
        return x

    def compute_output_shape(self, input_shape):
        return strided_same_output_shape(input_shape, self.strides, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "strides": self.strides,
                "expansion": self.expansion,
                "bn_momentum": self.bn_momentum,
                "bn_epsilon": self.bn_epsilon,
            }
        )
        return config
