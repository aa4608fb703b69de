"""Image folders laid out as ``root/class_name/*.jpg|png``, loaded as tf.data pipelines."""

import logging
import math
import os

from kerascnn._validation import check_fraction, check_positive_int

logger = logging.getLogger(__name__)

# The formats that keras.utils.image_dataset_from_directory decodes.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def list_image_files(root):
    """Return ``{class_name: [image paths]}`` for the class subfolders of ``root``, sorted.

    Raises:
        FileNotFoundError: if ``root`` is not a folder.
        ValueError: if it has no class subfolder with an image in it.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"Dataset folder not found: {root!r}")
    classes = {}
    for entry in sorted(os.scandir(root), key=lambda item: item.name):
        if not entry.is_dir():
            continue
        files = []
        for directory, _, names in os.walk(entry.path):
            files.extend(os.path.join(directory, name) for name in names if name.lower().endswith(IMAGE_SUFFIXES))
        classes[entry.name] = sorted(files)
    if not classes:
        raise ValueError(
            f"Dataset folder {root!r} has no class subfolders. Expected root/class_name/image files "
            f"({', '.join(IMAGE_SUFFIXES)})."
        )
    if not any(classes.values()):
        raise ValueError(
            f"Dataset folder {root!r} has class subfolders ({', '.join(classes)}) but no image files "
            f"({', '.join(IMAGE_SUFFIXES)})."
        )
    empty = [name for name, files in classes.items() if not files]
    if empty:
        logger.warning("Class folders without images are kept as classes with no samples: %s", ", ".join(empty))
    return classes


def verify_images(paths):
    """Raise ValueError naming the first file that Pillow cannot identify as an intact image."""
    from PIL import Image, UnidentifiedImageError

    for path in paths:
        try:
            with Image.open(path) as image:
                image.verify()
        except (OSError, UnidentifiedImageError, SyntaxError) as error:
            raise ValueError(f"Image file {path!r} is corrupt or not an image: {error}") from error


def load_image_folder(
    root,
    image_size=32,
    batch_size=32,
    validation_split=0.2,
    seed=1337,
    channels=3,
    verify=True,
):
    """Load ``root/class_name/*`` as (train, validation) tf.data datasets of images in [0, 1].

    Class names are the sorted subfolder names, and labels are their indices. The split is the
    one of ``keras.utils.image_dataset_from_directory`` with ``seed``, so it is the same on
    every call.

    Args:
        root: path of the folder that contains one subfolder per class.
        image_size: int, side that every image is resized to (bilinear). Defaults to 32.
        batch_size: int, batch size of both datasets. Defaults to 32.
        validation_split: float in (0, 1), share held out for validation. Defaults to 0.2.
        seed: int, seed of the shuffle and split. Defaults to 1337.
        channels: 1 (grey) or 3 (RGB). Defaults to 3.
        verify: whether to open every file with Pillow first, so that a corrupt image fails here
            with its path rather than mid-training. Defaults to True.

    Returns:
        ``(train_dataset, validation_dataset, class_names)``; the datasets yield
        ``(images, labels)`` batches of float32 images and int32 labels.

    Raises:
        FileNotFoundError: if ``root`` does not exist.
        ValueError: if it contains no images, an image is corrupt, or an argument is invalid.
    """
    import keras
    import tensorflow as tf

    image_size = check_positive_int("image_size", image_size)
    batch_size = check_positive_int("batch_size", batch_size)
    validation_split = check_fraction("validation_split", validation_split, include_one=False)
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")

    files_by_class = list_image_files(root)
    all_files = [path for files in files_by_class.values() for path in files]
    # Keras holds out int(validation_split * n) files, so the split needs one file on each side.
    validation_count = int(validation_split * len(all_files))
    if validation_count < 1 or validation_count == len(all_files):
        needed = max(2, math.ceil(1 / validation_split))
        raise ValueError(
            f"Dataset folder {os.fspath(root)!r} has {len(all_files)} images, too few to hold out "
            f"validation_split={validation_split} of them and train on the rest. Add images: it "
            f"needs at least {needed}."
        )
    if verify:
        verify_images(all_files)

    train, validation = keras.utils.image_dataset_from_directory(
        os.fspath(root),
        labels="inferred",
        label_mode="int",
        class_names=list(files_by_class),
        color_mode="rgb" if channels == 3 else "grayscale",
        batch_size=batch_size,
        image_size=(image_size, image_size),
        shuffle=True,
        seed=seed,
        validation_split=validation_split,
        subset="both",
        verbose=False,
    )

    def rescale(images, labels):
        return images / 255.0, tf.cast(labels, tf.int32)

    train = train.map(rescale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    validation = validation.map(rescale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    return train, validation, list(files_by_class)
