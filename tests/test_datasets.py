"""Tests of the bundled digits and the image-folder loader."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from kerascnn.datasets import digits, load_digits, load_image_folder

NUM_DIGITS = 1797
# SHA-256 of the image bytes followed by the label bytes of data/digits.npz as first converted
# from scikit-learn's digits.csv.gz, so that any change to the bundled data fails a test.
DIGITS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


@pytest.fixture(scope="module")
def digits_32():
    return load_digits(image_size=32)


def test_digits_raw_arrays():
    images, labels = digits.load_digits_arrays()

    assert images.shape == (NUM_DIGITS, 8, 8)
    assert images.dtype == np.uint8
    assert int(images.max()) == 16
    assert labels.shape == (NUM_DIGITS,)
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_raw_arrays_unchanged():
    images, labels = digits.load_digits_arrays()
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()

    assert digest == DIGITS_SHA256


def test_load_digits_shapes_and_range(digits_32):
    (x_train, y_train), (x_val, y_val) = digits_32

    assert x_train.shape == (1438, 32, 32, 3)
    assert x_val.shape == (359, 32, 32, 3)
    assert x_train.dtype == np.float32
    assert float(x_train.min()) == 0.0
    assert float(x_train.max()) == 1.0
    assert y_train.dtype == np.int32
    assert set(np.unique(y_val).tolist()) == set(range(10))


def test_load_digits_channels_are_grey(digits_32):
    (x_train, _), _ = digits_32

    assert np.array_equal(x_train[..., 0], x_train[..., 2])


def test_load_digits_split_is_stratified(digits_32):
    (_, y_train), (_, y_val) = digits_32
    shares = np.bincount(y_val) / (np.bincount(y_train) + np.bincount(y_val))

    assert np.all(np.abs(shares - 0.2) < 0.01)


def test_load_digits_split_is_fixed_and_disjoint():
    _, labels = digits.load_digits_arrays()
    train_a, val_a = digits.split_indices(labels, 0.2, seed=digits.DEFAULT_SEED)
    train_b, val_b = digits.split_indices(labels, 0.2, seed=digits.DEFAULT_SEED)
    train_c, _ = digits.split_indices(labels, 0.2, seed=7)

    assert np.array_equal(train_a, train_b)
    assert np.array_equal(val_a, val_b)
    assert not np.array_equal(train_a, train_c)
    assert len(np.intersect1d(train_a, val_a)) == 0
    assert len(train_a) + len(val_a) == NUM_DIGITS


def test_load_digits_upsampling_keeps_image(digits_32):
    # Bilinear upsampling blurs edges, but the 4x4 block means of the 32-pixel image still
    # follow the original 8x8 pixels.
    images, labels = digits.load_digits_arrays()
    train, _ = digits.split_indices(labels, 0.2, seed=digits.DEFAULT_SEED)
    (x_train, _), _ = digits_32
    block_means = x_train[0, :, :, 0].reshape(8, 4, 8, 4).mean(axis=(1, 3))

    correlation = np.corrcoef(block_means.ravel(), images[train[0]].ravel())[0, 1]

    assert correlation > 0.95


def test_load_digits_one_channel():
    (x_train, _), _ = load_digits(image_size=8, channels=1)

    assert x_train.shape == (1438, 8, 8, 1)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"image_size": 4}, r"`image_size` must be at least 8.*Received: image_size=4"),
        ({"image_size": 0}, r"`image_size` must be a positive integer. Received: image_size=0"),
        ({"channels": 2}, r"`channels` must be 1 or 3. Received: channels=2"),
        ({"validation_split": 1.0}, r"`validation_split` must be in the interval \(0, 1\). Received"),
    ],
)
def test_load_digits_rejects_invalid_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        load_digits(**arguments)


def _write_images(folder, count, size=12, color=(200, 10, 10)):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.new("RGB", (size + index % 3, size), color).save(folder / f"{index}.png")


def test_image_folder_loads_batches_in_unit_range(tmp_path):
    _write_images(tmp_path / "cat", 6, color=(255, 0, 0))
    _write_images(tmp_path / "dog", 4, color=(0, 0, 255))

    train, validation, class_names = load_image_folder(tmp_path, image_size=16, batch_size=4)
    images, labels = next(iter(train))
    validation_count = sum(int(batch[1].shape[0]) for batch in validation)

    assert class_names == ["cat", "dog"]
    assert images.shape[1:] == (16, 16, 3)
    assert float(np.max(images)) <= 1.0
    assert labels.dtype.name == "int32"
    assert validation_count == 2


def test_image_folder_missing_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Dataset folder not found: .*nowhere"):
        load_image_folder(tmp_path / "nowhere")


def test_image_folder_without_class_folders_raises(tmp_path):
    with pytest.raises(ValueError, match=r"has no class subfolders"):
        load_image_folder(tmp_path)


def test_image_folder_without_images_raises(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("not an image")

    with pytest.raises(ValueError, match=r"has class subfolders \(a, b\) but no image files"):
        load_image_folder(tmp_path)


def test_image_folder_too_small_to_split_raises(tmp_path):
    _write_images(tmp_path / "a", 2)
    _write_images(tmp_path / "b", 2)

    with pytest.raises(ValueError, match=r"has 4 images, too few to hold out validation_split=0.2 .* needs at least 5"):
        load_image_folder(tmp_path)


def test_image_folder_corrupt_image_names_file(tmp_path):
    _write_images(tmp_path / "a", 5)
    _write_images(tmp_path / "b", 5)
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")

    with pytest.raises(ValueError, match=r"Image file .*broken\.png' is corrupt or not an image"):
        load_image_folder(tmp_path)
