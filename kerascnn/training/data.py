"""Training and validation data for ``train`` and the export step, from the digits or a folder.

``dataset`` is either ``"digits"`` (the bundled UCI digits) or the path of an image folder laid
out as ``root/class_name/*.jpg|png``. The train/validation split always uses the loaders'
default seed, so every training run and every later export of its model see the same
validation images.
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from kerascnn._validation import check_positive_int
from kerascnn.datasets import DIGITS_CLASS_NAMES, load_digits, load_image_folder
from kerascnn.training.recipes import make_augmentation

DIGITS = "digits"


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """Batched datasets of ``(images, labels)`` with float32 images in [0, 1] and int32 labels."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    class_names: list
    steps_per_epoch: int


def describe_dataset(dataset):
    """Return ``dataset`` as stored in metrics.json: "digits", or the folder as an absolute path.

    Raises:
        ValueError: if ``dataset`` is empty or not a string or path.
    """
    if dataset == DIGITS:
        return DIGITS
    if not isinstance(dataset, (str, os.PathLike)) or not os.fspath(dataset):
        raise ValueError(f"`dataset` must be 'digits' or the path of an image folder. Received: dataset={dataset!r}")
    return os.path.abspath(os.fspath(dataset))


def load_training_data(dataset, image_size, batch_size, augment=True, seed=None):
    """Load ``dataset`` as shuffled training and fixed validation batches.

    Args:
        dataset: "digits" or the path of an image folder.
        image_size: int, height and width of the images in pixels.
        batch_size: int, images per batch in both datasets.
        augment: whether to apply ``make_augmentation(seed)`` to the training batches. The
            validation batches are never augmented.
        seed: int or None, seed of the augmentation and of the digits' training shuffle. An
            image folder is shuffled by ``load_image_folder`` with the fixed seed of its split.

    Returns:
        A ``TrainingData``.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: if the folder has no images, a corrupt image, or too few images to leave a
            validation batch, or an argument is invalid.
    """
    dataset = describe_dataset(dataset)
    batch_size = check_positive_int("batch_size", batch_size)
    if dataset == DIGITS:
        train, validation, class_names = _digits_datasets(image_size, batch_size, seed)
    else:
        # load_image_folder rejects a folder too small to give both splits an image.
        train, validation, class_names = load_image_folder(dataset, image_size=image_size, batch_size=batch_size)

    if augment:
        augmentation = make_augmentation(seed)
        train = train.map(
            lambda images, labels: (augmentation(images, training=True), labels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    train = train.prefetch(tf.data.AUTOTUNE)
    validation = validation.prefetch(tf.data.AUTOTUNE)
    return TrainingData(train, validation, list(class_names), int(train.cardinality()))


def load_split_images(dataset, image_size, max_train_images=None, max_validation_images=None):
    """Load the un-augmented training and validation images of ``dataset`` as arrays.

    The split is the one that ``load_training_data`` uses, so the validation images are the
    ones that training held out.

    Args:
        dataset: "digits" or the path of an image folder.
        image_size: int, height and width of the images in pixels.
        max_train_images: int or None, keep at most this many training images. None keeps all.
        max_validation_images: int or None, keep at most this many validation images. None
            keeps all.

    Returns:
        ``(train_images, validation_images)``, float32 arrays of shape
        ``(n, image_size, image_size, 3)`` with values in [0, 1].

    Raises:
        FileNotFoundError, ValueError: as for ``load_training_data``.
    """
    dataset = describe_dataset(dataset)
    if dataset == DIGITS:
        (train_images, _), (validation_images, _) = load_digits(image_size)
        return train_images[:max_train_images], validation_images[:max_validation_images]

    train, validation, _ = load_image_folder(dataset, image_size=image_size)
    return _collect_images(train, max_train_images), _collect_images(validation, max_validation_images)


def _digits_datasets(image_size, batch_size, seed):
    (x_train, y_train), (x_val, y_val) = load_digits(image_size)
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    validation = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)
    return train, validation, DIGITS_CLASS_NAMES


def _collect_images(batches, max_images):
    """Concatenate the image part of ``(images, labels)`` batches, stopping after ``max_images``."""
    collected = []
    count = 0
    for images, _ in batches:
        collected.append(images.numpy())
        count += len(collected[-1])
        if max_images is not None and count >= max_images:
            break
    return np.concatenate(collected, axis=0)[:max_images].astype(np.float32)
