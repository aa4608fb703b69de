"""SqueezeNet 1.0 and 1.1, with the paper's microarchitecture metaparameters and bypass variants.

Reference: Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
<0.5MB model size", arXiv:1602.07360, 2016. Version 1.1 is the revision published with the
authors' Caffe models, which torchvision ships as squeezenet1_1.
"""

import math
import numbers

import keras

from kerascnn._validation import check_choice, check_fraction, check_positive_int
from kerascnn.layers import CeilMaxPooling2D, FireModule
from kerascnn.models import _common, registry

NUM_FIRE_MODULES = 8
FIRST_FIRE_INDEX = 2  # The paper numbers the Fire modules fire2 ... fire9; conv1 comes first.

# Per version: conv1 as (filters, kernel size), stride 2 with "valid" padding, and the Fire
# modules (by paper number) that a 3x3/2 max pool follows. Version 1.1 moves the pools earlier
# and shrinks conv1, which cuts the multiply-adds by 2.4x at almost the same parameter count.
SQUEEZENET_VERSIONS = {
    "1.0": {"conv1": (96, 7), "pool_after": (4, 8)},
    "1.1": {"conv1": (64, 3), "pool_after": (3, 5)},
}
BYPASS_CHOICES = (None, "simple", "complex")


def fire_module_filters(base_e, incr_e, pct_3x3, freq, squeeze_ratio):
    """Return (squeeze, expand1x1, expand3x3) filters for fire2 ... fire9 (paper section 5).

    Fire module i (counting from 0) expands to e_i = base_e + incr_e * floor(i / freq) channels,
    of which round(pct_3x3 * e_i) come from 3x3 filters, and squeezes to round(squeeze_ratio * e_i).
    """
    filters = []
    for index in range(NUM_FIRE_MODULES):
        expand = base_e + incr_e * (index // freq)
        expand3x3 = int(round(pct_3x3 * expand))
        expand1x1 = expand - expand3x3
        squeeze = int(round(squeeze_ratio * expand))
        if min(expand1x1, expand3x3) < 1:
            raise ValueError(
                f"`pct_3x3`={pct_3x3} leaves fire{index + FIRST_FIRE_INDEX} with {expand1x1} 1x1 and "
                f"{expand3x3} 3x3 expand filters; both must be at least 1."
            )
        if squeeze < 1:
            raise ValueError(
                f"`squeeze_ratio`={squeeze_ratio} leaves fire{index + FIRST_FIRE_INDEX} with "
                f"{squeeze} squeeze filters; it needs at least 1."
            )
        filters.append((squeeze, expand1x1, expand3x3))
    return filters


def _feature_map_size(version, size):
    """Return the side of the last feature map for an input side ``size`` (0 if too small)."""
    conv1_filters, conv1_kernel = SQUEEZENET_VERSIONS[version]["conv1"]
    size = (size - conv1_kernel) // 2 + 1
    for _ in range(1 + len(SQUEEZENET_VERSIONS[version]["pool_after"])):
        if size < 2:  # A 3x3/2 ceil-mode pool needs 2 rows to produce one.
            return 0
        size = math.ceil((size - 3) / 2) + 1
    return max(size, 0)


def min_input_size(version):
    """Return the smallest input side that leaves a feature map of at least 1x1."""
    size = 1
    while _feature_map_size(version, size) < 1:
        size += 1
    return size


def SqueezeNet(
    version="1.0",
    bypass=None,
    base_e=128,
    incr_e=128,
    pct_3x3=0.5,
    freq=2,
    squeeze_ratio=0.125,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    dropout=0.5,
    conv10_relu=False,
    name=None,
):
    """Instantiate SqueezeNet 1.0 or 1.1.

    The defaults give the paper's SqueezeNet (1,248,424 parameters for version "1.0" and
    1,235,496 for "1.1" with 1000 classes, as torchvision's squeezenet1_0 and squeezenet1_1)
    except for the ReLU after conv10, which ``conv10_relu`` restores. Max pools use PyTorch's
    ceil_mode=True grid, as the Caffe and torchvision models do.

    Args:
        version: "1.0" (the paper) or "1.1" (the revised model: 3x3 conv1 with 64 filters and
            earlier pooling, 2.4x fewer multiply-adds).
        bypass: None, "simple" or "complex" (paper section 6). "simple" adds an identity
            shortcut around each Fire module whose input and output channels match, which are
            fire3, fire5, fire7 and fire9 with the default metaparameters. "complex" also adds a
            1x1 convolution shortcut around each of the others.
        base_e: int, expand filters of the first Fire module. Defaults to 128.
        incr_e: int >= 0, expand filters added every ``freq`` Fire modules. Defaults to 128.
        pct_3x3: float in (0, 1), share of 3x3 filters among the expand filters. Defaults to 0.5.
        freq: int, how many Fire modules share one expand width. Defaults to 2.
        squeeze_ratio: float in (0, 1], squeeze filters over expand filters. Defaults to 0.125.
        include_top: whether to include the classifier (dropout, 1x1 conv10, global average
            pooling). Defaults to True.
        weights: None (random initialization) or the path of a .weights.h5 or .keras file.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: optional (rows, cols, channels); rows and cols may be None. Defaults to
            (224, 224, 3). The minimum side is 21 pixels for version "1.0" and 17 for "1.1".
        pooling: None, "avg" or "max": pooling of the last Fire module's output when
            ``include_top`` is False.
        classes: int, number of classes of the classifier.
        classifier_activation: activation of the output, or None to return the pooled conv10
            outputs. Defaults to "softmax".
        dropout: float in [0, 1), dropout rate before conv10. Defaults to 0.5.
        conv10_relu: whether conv10 is followed by ReLU, as in the paper and torchvision.
            Defaults to False: with the ReLU, a class whose conv10 output turns negative for
            every input gets no gradient again, and training from scratch on the bundled
            digits stalled at 0.10 to 0.87 validation accuracy. The parameters are the same
            either way, so set True to load the reference models' weights.
        name: model name. Defaults to "squeezenet1_0" or "squeezenet1_1".

    Returns:
        A ``keras.Model``.

    Reference:
        Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
        <0.5MB model size", arXiv:1602.07360, 2016.
    """
    check_choice("version", version, tuple(SQUEEZENET_VERSIONS))
    check_choice("bypass", bypass, BYPASS_CHOICES)
    base_e = check_positive_int("base_e", base_e)
    if isinstance(incr_e, bool) or not isinstance(incr_e, numbers.Integral) or incr_e < 0:
        raise ValueError(f"`incr_e` must be an integer >= 0. Received: incr_e={incr_e!r}")
    pct_3x3 = check_fraction("pct_3x3", pct_3x3, include_one=False)
    freq = check_positive_int("freq", freq)
    squeeze_ratio = check_fraction("squeeze_ratio", squeeze_ratio)
    dropout = check_fraction("dropout", dropout, include_zero=True, include_one=False)
    _common.check_common_args(include_top, weights, pooling, classes, classifier_activation)
    fire_filters = fire_module_filters(base_e, incr_e, pct_3x3, freq, squeeze_ratio)

    settings = SQUEEZENET_VERSIONS[version]
    model_name = name or f"squeezenet{version.replace('.', '_')}"
    input_shape = _common.resolve_input_shape(
        input_shape, input_tensor, default_size=224, min_size=min_input_size(version), model_name="SqueezeNet " + version
    )
    image_input, model_inputs = _common.make_input(input_shape, input_tensor)

    # Stem: conv1 and the first pool.
    conv1_filters, conv1_kernel = settings["conv1"]
    x = keras.layers.Conv2D(
        conv1_filters, conv1_kernel, strides=2, activation="relu", kernel_initializer="he_uniform", name="conv1"
    )(image_input)
    x = CeilMaxPooling2D(3, 2, name="pool1")(x)

    # Fire modules fire2 ... fire9, with pools after those listed for the version.
    for index, (squeeze, expand1x1, expand3x3) in enumerate(fire_filters):
        number = index + FIRST_FIRE_INDEX
        x = _fire_with_bypass(x, number, squeeze, expand1x1, expand3x3, bypass)
        if number in settings["pool_after"]:
            x = CeilMaxPooling2D(3, 2, name=f"pool{number}")(x)

    # Classifier: the paper's conv10 replaces fully connected layers.
    if include_top:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Conv2D(
            classes,
            1,
            activation="relu" if conv10_relu else None,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="conv10",
        )(x)
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if classifier_activation is not None:
            x = keras.layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _common.pool_features(x, pooling)

    model = keras.Model(model_inputs, x, name=model_name)
    _common.load_weights(model, weights)
    return model


def _fire_with_bypass(x, number, squeeze, expand1x1, expand3x3, bypass):
    out_channels = expand1x1 + expand3x3
    fire = FireModule(squeeze, expand1x1, expand3x3, name=f"fire{number}")(x)
    if bypass is None:
        return fire
    if x.shape[-1] == out_channels:
        shortcut = x
    elif bypass == "complex":
        shortcut = keras.layers.Conv2D(
            out_channels, 1, kernel_initializer="he_uniform", name=f"fire{number}_bypass_conv"
        )(x)
    else:
        return fire
    return keras.layers.Add(name=f"fire{number}_bypass")([shortcut, fire])


registry.register("squeezenet1_0", SqueezeNet, "squeezenet", "SqueezeNet 1.0 (Iandola et al. 2016), 1.25M parameters", version="1.0")
registry.register(
    "squeezenet1_1", SqueezeNet, "squeezenet", "SqueezeNet 1.1, 2.4x fewer multiply-adds than 1.0, 1.24M parameters", version="1.1"
)
