"""The Fire module of SqueezeNet.

Reference: Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
<0.5MB model size", arXiv:1602.07360, 2016.
"""

import keras

from kerascnn._validation import check_positive_int


@keras.saving.register_keras_serializable(package="kerascnn")
class FireModule(keras.layers.Layer):
    """SqueezeNet Fire module: a 1x1 squeeze convolution feeding 1x1 and 3x3 expand convolutions.

    Every convolution has a bias and is followed by ReLU. The two expand outputs are concatenated
    along channels, 1x1 first (the order of the reference Caffe and torchvision models), so the
    output has ``expand1x1_filters + expand3x3_filters`` channels and the input's height and width.

    Args:
        squeeze_filters: int, output channels of the 1x1 squeeze convolution (s1x1 in the paper).
        expand1x1_filters: int, output channels of the 1x1 expand convolution (e1x1).
        expand3x3_filters: int, output channels of the 3x3 expand convolution (e3x3), which uses
            "same" padding.
        kernel_initializer: initializer of the three kernels. Defaults to "he_uniform", which is
            torchvision's kaiming_uniform_ with a=0.
        **kwargs: standard Layer arguments such as ``name`` and ``dtype``.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, height, width, expand1x1_filters + expand3x3_filters)``.
    """

    def __init__(
        self,
        squeeze_filters,
        expand1x1_filters,
        expand3x3_filters,
        kernel_initializer="he_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.squeeze_filters = check_positive_int("squeeze_filters", squeeze_filters)
        self.expand1x1_filters = check_positive_int("expand1x1_filters", expand1x1_filters)
        self.expand3x3_filters = check_positive_int("expand3x3_filters", expand3x3_filters)
        try:
            self.kernel_initializer = keras.initializers.get(kernel_initializer)
        except ValueError as error:
            raise ValueError(
                "`kernel_initializer` must be a Keras initializer name, config or instance. "
                f"Received: kernel_initializer={kernel_initializer!r}"
            ) from error

    def build(self, input_shape):
        conv_options = dict(
            activation="relu",
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        self.squeeze = keras.layers.Conv2D(self.squeeze_filters, 1, name="squeeze", **conv_options)
        self.expand1x1 = keras.layers.Conv2D(self.expand1x1_filters, 1, name="expand1x1", **conv_options)
        self.expand3x3 = keras.layers.Conv2D(
            self.expand3x3_filters, 3, padding="same", name="expand3x3", **conv_options
        )

        self.squeeze.build(input_shape)
        squeezed_shape = self.squeeze.compute_output_shape(input_shape)
        self.expand1x1.build(squeezed_shape)
        self.expand3x3.build(squeezed_shape)

    def call(self, inputs):
        squeezed = self.squeeze(inputs)
        return keras.ops.concatenate([self.expand1x1(squeezed), self.expand3x3(squeezed)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.expand1x1_filters + self.expand3x3_filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "squeeze_filters": self.squeeze_filters,
                "expand1x1_filters": self.expand1x1_filters,
                "expand3x3_filters": self.expand3x3_filters,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
