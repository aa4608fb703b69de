"""MobileNetV2 with the width multiplier alpha, resolution multiplier rho and expansion factor.

Reference: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
arXiv:1801.04381, CVPR 2018.
"""

import keras

from kerascnn._validation import check_fraction, check_positive_number
from kerascnn.layers import InvertedResidual
from kerascnn.layers.separable import BN_EPSILON, BN_MOMENTUM
from kerascnn.models import _common, registry

STEM_FILTERS = 32
LAST_FILTERS = 1280
# Table 2 of the paper, one row per sequence of bottleneck blocks, with its column names:
# t = expansion factor, c = output channels at alpha 1, n = repeats, s = stride of the first repeat.
# Rows with t = 6 take the ``expansion`` argument instead.
MOBILENET_V2_BLOCKS = (
    # t, c, n, s
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
MIN_INPUT_SIZE = 32  # The network's total stride: a smaller input leaves the last blocks 1x1.


def MobileNetV2(
    alpha=1.0,
    rho=None,
    expansion=6,
    dropout=0.2,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """Instantiate MobileNetV2.

    Channel counts are ``int(c * alpha)`` rounded to a multiple of 8 as in the TF-slim reference,
    and the last 1x1 convolution keeps 1280 filters for alpha <= 1. The parameter count equals
    keras.applications.MobileNetV2 (3,538,984 at alpha 1.0 with 1000 classes). Batch
    normalization uses momentum 0.9, where keras.applications uses 0.999, so that training from
    scratch settles quickly.

    Args:
        alpha: width multiplier, > 0 (0.35, 0.5, 0.75, 1.0, 1.3 and 1.4 in the paper).
            Defaults to 1.0.
        rho: resolution multiplier, > 0. With ``input_shape=None`` the input is
            ``round(224 * rho)`` square. Given together with ``input_shape``, the two must agree.
            Defaults to None, which means 1.0 (224 pixels) when no input shape is given.
        expansion: the expansion factor t of every bottleneck sequence except the first,
            which keeps t = 1. Defaults to 6.
        dropout: float in [0, 1), dropout rate before the classifier, as in the TF-slim
            reference (keras.applications has none). Defaults to 0.2.
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
        name: model name. Defaults to "mobilenetv2_{alpha:.2f}_{rows}".

    Returns:
        A ``keras.Model``.

    Reference:
        Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
        arXiv:1801.04381, CVPR 2018.
    """
    alpha = check_positive_number("alpha", alpha)
    expansion = check_positive_number("expansion", expansion)
    dropout = check_fraction("dropout", dropout, include_zero=True, include_one=False)
    _common.check_common_args(include_top, weights, pooling, classes, classifier_activation)

    input_shape = _common.resolve_resolution(rho, input_shape, input_tensor)
    input_shape = _common.resolve_input_shape(
        input_shape, input_tensor, default_size=224, min_size=MIN_INPUT_SIZE, model_name="MobileNetV2"
    )
    image_input, model_inputs = _common.make_input(input_shape, input_tensor)
    bn_options = dict(momentum=BN_MOMENTUM, epsilon=BN_EPSILON)

    # Stem: a full 3x3/2 convolution.
    x = keras.layers.Conv2D(
        _common.make_divisible(STEM_FILTERS * alpha), 3, strides=2, padding="same", use_bias=False, name="conv1"
    )(image_input)
    x = keras.layers.BatchNormalization(name="conv1_bn", **bn_options)(x)
    x = keras.layers.ReLU(6.0, name="conv1_relu")(x)

    # Body: 17 bottleneck blocks, numbered from 0 like the block ids of keras.applications.
    block_id = 0
    for t, c, n, s in MOBILENET_V2_BLOCKS:
        filters = _common.make_divisible(int(c * alpha))
        for repeat in range(n):
            x = InvertedResidual(
                filters,
                strides=s if repeat == 0 else 1,
                expansion=1 if t == 1 else expansion,
                name=f"block{block_id}",
            )(x)
            block_id += 1

    # Last 1x1 convolution: narrowed only for alpha > 1, as in the reference.
    last_filters = _common.make_divisible(LAST_FILTERS * alpha) if alpha > 1.0 else LAST_FILTERS
    x = keras.layers.Conv2D(last_filters, 1, use_bias=False, name="conv_last")(x)
    x = keras.layers.BatchNormalization(name="conv_last_bn", **bn_options)(x)
    x = keras.layers.ReLU(6.0, name="conv_last_relu")(x)

    # Head.
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pool_features(x, pooling)

    rows = input_shape[0] if input_shape[0] is not None else "none"
    model = keras.Model(model_inputs, x, name=name or f"mobilenetv2_{alpha:.2f}_{rows}")
    _common.load_weights(model, weights)
    return model


registry.register("mobilenet_v2", MobileNetV2, "mobilenet", "MobileNetV2 (Sandler et al. 2018), 3.54M parameters at alpha 1.0")
