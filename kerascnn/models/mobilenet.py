"""MobileNet V1 with the width multiplier alpha and the resolution multiplier rho.

Reference: Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv:1704.04861, 2017.
"""

import keras

from kerascnn._validation import check_fraction, check_positive_int, check_positive_number
from kerascnn.layers import DepthwiseSeparableConv
from kerascnn.layers.separable import BN_EPSILON, BN_MOMENTUM
from kerascnn.models import _common, registry

STEM_FILTERS = 32
# The 13 depthwise separable blocks of table 1, one row each: (pointwise filters at alpha = 1,
# depthwise stride).
MOBILENET_V1_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)
MIN_INPUT_SIZE = 32  # The network's total stride: a smaller input leaves the last blocks 1x1.


def MobileNet(
    alpha=1.0,
    depth_multiplier=1,
    rho=None,
    dropout=1e-3,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Instantiate MobileNet V1.

    The parameter count equals keras.applications.MobileNet for every alpha (4,253,864 at
    alpha 1.0 with 1000 classes). Unlike keras.applications, the blocks use ReLU as in the paper
    rather than ReLU6, and batch normalization momentum 0.9 rather than 0.99 so that training
    from scratch settles quickly.

    Args:
        alpha: width multiplier, > 0: every layer gets ``int(filters * alpha)`` filters
            (0.25, 0.5, 0.75 and 1.0 in the paper). Defaults to 1.0.
        depth_multiplier: int, depthwise channel multiplier of the DepthwiseConv2D layers. It is
            not the paper's resolution multiplier; that one is ``rho``. Defaults to 1.
        rho: resolution multiplier, > 0. With ``input_shape=None`` the input is
            ``round(224 * rho)`` square (224, 192, 160 or 128 for the paper's rho values).
            Given together with ``input_shape``, the two must agree. Defaults to None, which
            means 1.0 (224 pixels) when no input shape is given.
        dropout: float in [0, 1), dropout rate before the classifier. Defaults to 1e-3.
        include_top: whether to include global average pooling and the fully connected
            classifier. Defaults to True.
        weights: None (random initialization) or the path of a .weights.h5 or .keras file.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: optional (rows, cols, channels); rows and cols may be None, else at least 32.
        pooling: None, "avg" or "max" pooling of the last feature map when ``include_top`` is
            False.
        classes: int, number of classes.
        classifier_activation: activation of the classifier output, or None for logits.
            Defaults to "softmax".
        name: model name. Defaults to "mobilenet_{alpha:.2f}_{rows}".

    Returns:
        A ``keras.Model``.

    Reference:
        Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
        Applications", arXiv:1704.04861, 2017.
    """
    alpha = check_positive_number("alpha", alpha)
    depth_multiplier = check_positive_int("depth_multiplier", depth_multiplier)
    dropout = check_fraction("dropout", dropout, include_zero=True, include_one=False)
    _common.check_common_args(include_top, weights, pooling, classes, classifier_activation)
    if int(STEM_FILTERS * alpha) < 1:
        raise ValueError(
            f"`alpha` must leave the first layer at least 1 filter (alpha >= {1 / STEM_FILTERS}). "
            f"Received: alpha={alpha}"
        )

    input_shape = _common.resolve_resolution(rho, input_shape, input_tensor)
    input_shape = _common.resolve_input_shape(
        input_shape, input_tensor, default_size=224, min_size=MIN_INPUT_SIZE, model_name="MobileNet"
    )
    image_input, model_inputs = _common.make_input(input_shape, input_tensor)

    # Stem: a full 3x3/2 convolution.
    x = keras.layers.Conv2D(
        int(STEM_FILTERS * alpha), 3, strides=2, padding="same", use_bias=False, name="conv1"
    )(image_input)
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = keras.layers.ReLU(name="conv1_relu")(x)

    # Body: 13 depthwise separable blocks.
    for number, (filters, strides) in enumerate(MOBILENET_V1_BLOCKS, start=1):
        x = DepthwiseSeparableConv(
            int(filters * alpha), strides=strides, depth_multiplier=depth_multiplier, name=f"block{number}"
        )(x)

    # Head: global average pooling and one fully connected layer.
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pool_features(x, pooling)

    rows = input_shape[0] if input_shape[0] is not None else "none"
    model = keras.Model(model_inputs, x, name=name or f"mobilenet_{alpha:.2f}_{rows}")
    _common.load_weights(model, weights)
    return model


registry.register("mobilenet", MobileNet, "mobilenet", "MobileNet V1 (Howard et al. 2017), 4.25M parameters at alpha 1.0")
