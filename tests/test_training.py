"""Tests of kerascnn.training: the data pipelines, the training run, its saved files and figure."""

import json
import os

import keras
import numpy as np
import pytest

from kerascnn.datasets import load_digits
from kerascnn.training import train as train_module
from kerascnn.training.data import describe_dataset, load_split_images, load_training_data
from kerascnn.training.plots import plot_history
from kerascnn.training.train import save_run, train

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_SIZE = 32
EPOCHS = 2

REQUIRED_METRICS = (
    "model",
    "model_kwargs",
    "dataset",
    "image_size",
    "batch_size",
    "epochs",
    "num_classes",
    "class_names",
    "params",
    "val_accuracy",
    "val_loss",
    "best_val_accuracy",
    "seconds",
    "history",
    "keras_version",
    "tensorflow_version",
)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """Train squeezenet1_1 on the digits for two epochs; return (output folder, returned metrics)."""
    output_dir = tmp_path_factory.mktemp("run") / "squeezenet"
    metrics = train(
        "squeezenet1_1", epochs=EPOCHS, batch_size=64, image_size=IMAGE_SIZE, output_dir=output_dir
    )
    return output_dir, metrics


def test_train_writes_three_files(digits_run):
    output_dir, _ = digits_run
    assert sorted(os.listdir(output_dir)) == ["history.png", "metrics.json", "model.keras"]


def test_train_metrics_json_matches_return_value(digits_run):
    output_dir, metrics = digits_run
    with open(output_dir / "metrics.json", encoding="utf-8") as file:
        stored = json.load(file)

    assert stored == metrics
    for key in REQUIRED_METRICS:
        assert key in stored, key


def test_train_metrics_values(digits_run):
    _, metrics = digits_run

    assert metrics["model"] == "squeezenet1_1"
    assert metrics["model_kwargs"] == {}
    assert metrics["dataset"] == "digits"
    assert metrics["image_size"] == IMAGE_SIZE
    assert metrics["batch_size"] == 64
    assert metrics["epochs"] == EPOCHS
    assert metrics["num_classes"] == 10
    assert metrics["class_names"] == [str(digit) for digit in range(10)]
    assert metrics["params"] > 0
    assert 0.0 <= metrics["val_accuracy"] <= 1.0
    assert metrics["val_loss"] > 0.0
    assert metrics["best_val_accuracy"] == max(metrics["history"]["val_accuracy"])
    assert metrics["seconds"] > 0.0
    assert metrics["keras_version"] == keras.__version__


def test_train_history_has_one_value_per_epoch(digits_run):
    _, metrics = digits_run
    history = metrics["history"]

    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(history[key]) == EPOCHS, key
    assert history["val_accuracy"][-1] == metrics["val_accuracy"]
    assert history["val_loss"][-1] == metrics["val_loss"]


def test_train_history_png(digits_run):
    output_dir, _ = digits_run
    assert (output_dir / "history.png").read_bytes().startswith(PNG_SIGNATURE)


def test_train_model_reloads(digits_run):
    output_dir, metrics = digits_run
    model = keras.saving.load_model(output_dir / "model.keras")

    assert model.input_shape == (None, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert model.output_shape == (None, 10)
    assert model.count_params() == metrics["params"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"model_name": "no_such_model"}, r"Unknown model name 'no_such_model'\. Known models: .*squeezenet1_1"),
        ({"epochs": 0}, r"`epochs` must be a positive integer\. Received: epochs=0"),
        ({"batch_size": 2.5}, r"`batch_size` must be a positive integer"),
        ({"seed": -1}, r"`seed` must be an integer in \[0, 4294967295\]\. Received: seed=-1"),
        ({"model_kwargs": {"classes": 3}}, r"`model_kwargs` must not set 'classes'"),
        ({"model_kwargs": {"alpha": np.float32}}, r"`model_kwargs` must be JSON-serialisable"),
        ({"dataset": ""}, r"`dataset` must be 'digits' or the path of an image folder"),
    ],
)
def test_train_rejects_invalid_arguments(tmp_path, arguments, message):
    arguments = {"model_name": "squeezenet1_1", "epochs": 1, "output_dir": tmp_path / "run", **arguments}
    with pytest.raises(ValueError, match=message):
        train(**arguments)
    assert not (tmp_path / "run").exists()


def test_train_rejects_output_file(tmp_path):
    output_file = tmp_path / "taken"
    output_file.write_text("not a folder")
    with pytest.raises(ValueError, match=r"exists and is not a folder"):
        train("squeezenet1_1", epochs=1, output_dir=output_file)


def test_train_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Dataset folder not found"):
        train("squeezenet1_1", dataset=tmp_path / "missing", epochs=1, output_dir=tmp_path / "run")


def test_save_run_keeps_old_model_on_failure(tmp_path, monkeypatch):
    (tmp_path / "model.keras").write_bytes(b"previous model")

    def failing_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"half-written")
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras.Model, "save", failing_save)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="disk full"):
        save_run(model, {"history": {}, "model": "tiny", "dataset": "digits"}, os.fspath(tmp_path))

    assert (tmp_path / "model.keras").read_bytes() == b"previous model"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_validation_batches_are_not_augmented():
    data = load_training_data("digits", IMAGE_SIZE, batch_size=16, augment=True, seed=3)
    (_, _), (x_val, y_val) = load_digits(IMAGE_SIZE)
    images, labels = next(iter(data.validation))

    np.testing.assert_array_equal(images.numpy(), x_val[:16])
    np.testing.assert_array_equal(labels.numpy(), y_val[:16])


def test_training_batches_are_augmented():
    (x_train, _), _ = load_digits(IMAGE_SIZE)
    plain = load_training_data("digits", IMAGE_SIZE, batch_size=8, augment=False, seed=3)
    augmented = load_training_data("digits", IMAGE_SIZE, batch_size=8, augment=True, seed=3)
    plain_images, _ = next(iter(plain.train))
    augmented_images, _ = next(iter(augmented.train))

    # Without augmentation every image is one of the training images, unchanged.
    for image in plain_images.numpy():
        assert np.any(np.all(x_train == image, axis=(1, 2, 3)))
    assert augmented_images.shape == plain_images.shape
    assert not np.array_equal(augmented_images.numpy(), plain_images.numpy())


def test_training_data_steps_per_epoch():
    data = load_training_data("digits", IMAGE_SIZE, batch_size=100, augment=False)
    (x_train, _), _ = load_digits(IMAGE_SIZE)

    assert data.steps_per_epoch == -(-len(x_train) // 100)
    assert data.class_names == [str(digit) for digit in range(10)]


def test_load_split_images_digits():
    (x_train, _), (x_val, _) = load_digits(IMAGE_SIZE)
    train_images, validation_images = load_split_images("digits", IMAGE_SIZE, max_train_images=50)

    np.testing.assert_array_equal(train_images, x_train[:50])
    np.testing.assert_array_equal(validation_images, x_val)


def test_describe_dataset_makes_folder_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert describe_dataset("digits") == "digits"
    assert describe_dataset("images") == os.fspath(tmp_path / "images")


def test_plot_history_single_epoch(tmp_path):
    path = tmp_path / "history.png"
    plot_history({"loss": [1.0], "accuracy": [0.5]}, path, title="one epoch")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_default_output_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved = []
    monkeypatch.setattr(train_module, "save_run", lambda model, metrics, output_dir: saved.append(output_dir))
    monkeypatch.setattr(train_module, "load_training_data", _tiny_training_data)
    monkeypatch.setattr(train_module.models, "get", _tiny_model)

    train("squeezenet1_1", epochs=1, verbose=0)
    assert saved == [os.path.join("runs", "squeezenet1_1")]
    assert (tmp_path / "runs" / "squeezenet1_1").is_dir()


def _tiny_model(name, input_shape, classes):
    """A two-layer stand-in for a registry model, so that fit traces in a second."""
    return keras.Sequential(
        [keras.Input(input_shape), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(classes, activation="softmax")]
    )


def _tiny_training_data(dataset, image_size, batch_size, augment=True, seed=None):
    """Four random images of two classes as one training and validation batch."""
    import tensorflow as tf

    from kerascnn.training.data import TrainingData

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(4, image_size, image_size, 3)).astype(np.float32)
    labels = np.array([0, 1, 0, 1], dtype=np.int32)
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    return TrainingData(batches, batches, ["a", "b"], int(batches.cardinality()))
