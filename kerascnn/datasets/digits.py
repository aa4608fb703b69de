"""The bundled UCI handwritten digits, upsampled to the input size of a CNN.

The data (1,797 images of 8x8 pixels, 10 classes) comes with the package; data/PROVENANCE.md
gives its source and licence.
"""

import importlib.resources

import numpy as np

from kerascnn._validation import check_fraction, check_positive_int

NUM_CLASSES = 10
CLASS_NAMES = tuple(str(digit) for digit in range(NUM_CLASSES))
MAX_PIXEL_VALUE = 16.0
DEFAULT_SEED = 1337


def load_digits_arrays():
    """Return the raw ``(images, labels)``: uint8 arrays of shape (1797, 8, 8) and (1797,)."""
    resource = importlib.resources.files("kerascnn.datasets").joinpath("data/digits.npz")
    with resource.open("rb") as file, np.load(file) as archive:
        return archive["images"], archive["labels"]


def split_indices(labels, validation_split, seed):
    """Return (train, validation) index arrays, stratified by class and fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        count = int(round(len(members) * validation_split))
        validation.append(members[:count])
        train.append(members[count:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(validation))


def load_digits(image_size=32, channels=3, validation_split=0.2, seed=DEFAULT_SEED):
    """Load the digits as float32 images in [0, 1], bilinearly upsampled, split for validation.

    The split is stratified by class and depends only on ``seed`` and ``validation_split``, so
    training and export see the same validation images.

    Args:
        image_size: int >= 8, height and width of the returned images. Defaults to 32.
        channels: int, 1 for grey images or 3 (the grey value repeated) for RGB models.
            Defaults to 3.
        validation_split: float in (0, 1), share of each class held out. Defaults to 0.2
            (359 validation and 1,438 training images).
        seed: int, seed of the split. Defaults to 1337.

    Returns:
        ``((x_train, y_train), (x_val, y_val))`` with images of shape
        ``(n, image_size, image_size, channels)`` and int32 labels 0..9.
    """
    image_size = check_positive_int("image_size", image_size)
    if image_size < 8:
        raise ValueError(f"`image_size` must be at least 8, the digits' own size. Received: image_size={image_size}")
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
    validation_split = check_fraction("validation_split", validation_split, include_one=False)

    images, labels = load_digits_arrays()
    x = resize_images(images.astype(np.float32) / MAX_PIXEL_VALUE, image_size)
    if channels == 3:
        x = np.repeat(x, 3, axis=-1)
    y = labels.astype(np.int32)

    train, validation = split_indices(labels, validation_split, seed)
    return (x[train], y[train]), (x[validation], y[validation])


def resize_images(images, image_size):
    """Bilinearly resize (n, h, w) grey images to (n, image_size, image_size, 1), clipped to [0, 1]."""
    import keras

    resized = keras.ops.image.resize(images[..., np.newaxis], (image_size, image_size), interpolation="bilinear")
    return np.clip(keras.ops.convert_to_numpy(resized), 0.0, 1.0).astype(np.float32)
