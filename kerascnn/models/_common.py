"""Argument checks, input resolution and heads shared by the model constructors.

These follow keras.applications: channels-last images, ``include_top`` with a classifier of
``classes`` outputs, or ``pooling`` over the last feature map when the top is left out.
"""

import os

import keras

from kerascnn._validation import check_choice, check_positive_int, check_positive_number

POOLING_CHOICES = (None, "avg", "max")
WEIGHTS_SUFFIXES = (".weights.h5", ".keras")


def check_common_args(include_top, weights, pooling, classes, classifier_activation):
    """Validate the keras.applications arguments that every constructor shares."""
    if not isinstance(include_top, bool):
        raise ValueError(f"`include_top` must be True or False. Received: include_top={include_top!r}")
    check_positive_int("classes", classes)
    check_choice("pooling", pooling, POOLING_CHOICES)
    check_weights_path(weights)
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError) as error:
            raise ValueError(
                "`classifier_activation` must be None, a Keras activation name such as 'softmax', "
                f"or a callable. Received: classifier_activation={classifier_activation!r}"
            ) from error


def check_weights_path(weights):
    """Raise unless ``weights`` is None or the path of an existing .weights.h5 or .keras file."""
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"`weights` must be None or a file path. Received: weights={weights!r}")
    path = os.fspath(weights)
    if path == "imagenet":
        raise ValueError(
            "kerascnn downloads no pretrained weights. Pass weights=None for random initialization, "
            "or the path of a .weights.h5 or .keras file. Received: weights='imagenet'"
        )
    if not path.endswith(WEIGHTS_SUFFIXES):
        raise ValueError(
            f"`weights` must be a path ending in .weights.h5 or .keras. Received: weights={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`weights` file not found: {path!r}")


def load_weights(model, weights):
    """Load ``weights`` (already checked by check_weights_path) into ``model`` if it is a path."""
    if weights is None:
        return
    try:
        model.load_weights(os.fspath(weights))
    except ValueError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"`weights` file {os.fspath(weights)!r} does not match model {model.name!r}: it was saved from "
            f"a model with other layers or shapes. Keras reported: {first_line}"
        ) from error


def resolve_input_shape(input_shape, input_tensor, default_size, min_size, model_name):
    """Return the (rows, cols, channels) input shape and check it against ``min_size``.

    ``input_shape`` wins over ``default_size``; with ``input_tensor`` both must agree. Rows and
    columns may be None (any size), which defers the size check to run time.
    """
    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            f"{model_name} supports only the channels_last image data format. "
            f"Received: keras.config.image_data_format()={keras.config.image_data_format()!r}"
        )

    if input_tensor is not None:
        tensor_shape = tuple(input_tensor.shape[1:])
        if input_shape is not None and tuple(input_shape) != tensor_shape:
            raise ValueError(
                f"`input_shape` {tuple(input_shape)} does not match the shape {tensor_shape} of `input_tensor`."
            )
        input_shape = tensor_shape
    if input_shape is None:
        input_shape = (default_size, default_size, 3)

    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(
            "`input_shape` must be a tuple (rows, cols, channels) in channels_last order. "
            f"Received: input_shape={input_shape!r}"
        )
    rows, cols, channels = input_shape
    if channels is None:
        raise ValueError(f"`input_shape` must give the number of channels. Received: input_shape={input_shape!r}")
    check_positive_int("input_shape[2] (channels)", channels)
    for size in (rows, cols):
        if size is None:
            continue
        check_positive_int("input_shape", size)
        if size < min_size:
            raise ValueError(
                f"{model_name} needs an input of at least {min_size}x{min_size} pixels. "
                f"Received: input_shape={tuple(input_shape)!r}"
            )
    return (rows, cols, channels)


def resolve_resolution(rho, input_shape, input_tensor, base_size=224):
    """Apply the resolution multiplier ``rho`` of MobileNet V1 and V2.

    Returns the input shape to use: with ``rho`` and no explicit shape, ``round(base_size * rho)``
    square with 3 channels. An explicit ``input_shape`` (or ``input_tensor``) must then have
    exactly that height and width.
    """
    if rho is None:
        return input_shape
    rho = check_positive_number("rho", rho)
    size = int(round(base_size * rho))
    explicit = input_shape if input_shape is not None else (
        tuple(input_tensor.shape[1:]) if input_tensor is not None else None
    )
    if explicit is None:
        return (size, size, 3)
    if not isinstance(explicit, (tuple, list)) or len(explicit) != 3 or tuple(explicit[:2]) != (size, size):
        raise ValueError(
            f"`rho`={rho} means a {size}x{size} input (round({base_size} * rho)), which disagrees with "
            f"input_shape={tuple(explicit) if isinstance(explicit, (tuple, list)) else explicit!r}. "
            "Pass only one of them, or make them agree."
        )
    return tuple(explicit)


def make_input(input_shape, input_tensor):
    """Return ``(image_input, model_inputs)`` for the functional model."""
    if input_tensor is None:
        image_input = keras.Input(shape=input_shape)
        return image_input, image_input
    if not keras.utils.is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` must be a Keras tensor, such as the output of keras.Input or of a layer "
            f"applied to one. Received: input_tensor of type {type(input_tensor).__name__}"
        )
    return input_tensor, keras.utils.get_source_inputs(input_tensor)


def pool_features(x, pooling):
    """Apply the ``pooling`` choice of keras.applications to the last feature map."""
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def make_divisible(value, divisor=8, min_value=None):
    """Round ``value`` to the nearest multiple of ``divisor``, never more than 10% below it.

    This is the channel rounding of the TF-slim MobileNet V2 reference (``_make_divisible``),
    which keras.applications and torchvision share.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded
