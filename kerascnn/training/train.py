"""Training of a registered model from scratch, with the model, metrics and curves saved to a folder."""

import dataclasses
import json
import logging
import math
import numbers
import os
import time

import keras
import tensorflow as tf

from kerascnn import models
from kerascnn._files import atomic_path
from kerascnn._validation import check_positive_int
from kerascnn.training.data import describe_dataset, load_training_data
from kerascnn.training.plots import plot_history
from kerascnn.training.recipes import compile_model, recipe_for

logger = logging.getLogger(__name__)

MODEL_FILENAME = "model.keras"
METRICS_FILENAME = "metrics.json"
HISTORY_PLOT_FILENAME = "history.png"
DEFAULT_OUTPUT_ROOT = "runs"
MAX_SEED = 2**32 - 1  # numpy's legacy seeding, which set_random_seed also sets, accepts 0..2**32-1.


def train(
    model_name,
    dataset="digits",
    epochs=30,
    batch_size=32,
    image_size=32,
    output_dir=None,
    model_kwargs=None,
    recipe=None,
    augment=True,
    seed=1337,
    verbose=0,
):
    """Train a registered model from scratch and save the model, its metrics and its curves.

    The model gets the input shape ``(image_size, image_size, 3)`` and one output per class of
    the dataset. Training uses ``compile_model`` with ``recipe``, and the validation split is
    never augmented. Three files are written to ``output_dir``, each to a temporary name first
    and then moved into place with ``os.replace``, so an interrupted run leaves the previous
    files whole:

    - ``model.keras``: the trained model.
    - ``metrics.json``: final and best validation accuracy, final validation loss, the fit time
      in seconds and the per-epoch history. It also stores the settings of the run: model,
      model_kwargs, dataset, image_size, batch_size, epochs, seed, augment, recipe, class
      names, parameter count, Keras and TensorFlow versions. The export step reads
      ``dataset`` and ``image_size`` from it.
    - ``history.png``: loss and accuracy curves, train and validation.

    Args:
        model_name: a name from ``kerascnn.models.names()``, such as "squeezenet1_1".
        dataset: "digits" for the bundled UCI digits, or the path of an image folder laid out
            as ``root/class_name/*.jpg|png``. Defaults to "digits".
        epochs: int >= 1, passes over the training split. Defaults to 30.
        batch_size: int >= 1, images per step. Defaults to 32.
        image_size: int, height and width of the model input in pixels. Defaults to 32.
        output_dir: folder for the three files, created if missing. Defaults to
            ``runs/<model_name>`` under the current working directory.
        model_kwargs: optional dict of extra constructor arguments for the model, such as
            ``{"alpha": 0.5}``. It must be JSON-serialisable, because metrics.json stores it.
        recipe: a ``kerascnn.training.recipes.Recipe``. Defaults to the recipe of the model's
            family, ``recipe_for(model_name)``.
        augment: whether to augment the training batches with ``make_augmentation``.
            Defaults to True.
        seed: int in [0, 2**32 - 1], seed of the weight initialization, the augmentation and
            the shuffle of the digits. The train/validation split and the shuffle of an image
            folder do not depend on it. Defaults to 1337.
        verbose: passed to ``model.fit``: 0 for silence, 1 for Keras' progress bar, 2 for one
            line per epoch. Defaults to 0.

    Returns:
        The metrics dict, as written to ``metrics.json``.

    Raises:
        FileNotFoundError: if the dataset folder does not exist.
        ValueError: if an argument is invalid, the model name is unknown, the model does not
            take an argument of ``model_kwargs``, or the dataset folder is empty or has a
            corrupt image.
    """
    models.entry(model_name)
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    image_size = check_positive_int("image_size", image_size)
    model_kwargs = _check_model_kwargs(model_kwargs)
    _check_seed(seed)
    dataset = describe_dataset(dataset)
    output_dir = os.fspath(output_dir) if output_dir is not None else os.path.join(DEFAULT_OUTPUT_ROOT, model_name)
    _check_output_dir(output_dir)

    keras.utils.set_random_seed(seed)
    data = load_training_data(dataset, image_size, batch_size, augment=augment, seed=seed)
    model = models.get(
        model_name, input_shape=(image_size, image_size, 3), classes=len(data.class_names), **model_kwargs
    )
    # Created only now, so that a run rejected for its data or model leaves no empty folder.
    os.makedirs(output_dir, exist_ok=True)
    recipe = recipe if recipe is not None else recipe_for(model_name)
    compile_model(model, data.steps_per_epoch, epochs, recipe)
    logger.info(
        "Training %s (%s parameters) on %s at %dx%d pixels for %d epoch(s) of %d steps",
        model_name,
        f"{model.count_params():,}",
        dataset,
        image_size,
        image_size,
        epochs,
        data.steps_per_epoch,
    )

    start = time.perf_counter()
    # The training dataset shuffles itself, and fit ignores shuffle=True for a tf.data input
    # with a warning.
    history = model.fit(data.train, validation_data=data.validation, epochs=epochs, shuffle=False, verbose=verbose)
    seconds = time.perf_counter() - start

    history = {key: [_json_float(value) for value in values] for key, values in history.history.items()}
    metrics = {
        "model": model_name,
        "model_kwargs": model_kwargs,
        "dataset": dataset,
        "image_size": image_size,
        "batch_size": batch_size,
        "epochs": epochs,
        "seed": seed,
        "augment": bool(augment),
        "recipe": dataclasses.asdict(recipe),
        "num_classes": len(data.class_names),
        "class_names": list(data.class_names),
        "params": int(model.count_params()),
        "val_accuracy": history["val_accuracy"][-1],
        "val_loss": history["val_loss"][-1],
        "best_val_accuracy": _max_finite(history["val_accuracy"]),
        "train_accuracy": history["accuracy"][-1],
        "train_loss": history["loss"][-1],
        "seconds": round(seconds, 3),
        "history": history,
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
    }
    save_run(model, metrics, output_dir)
    return metrics


def save_run(model, metrics, output_dir):
    """Write ``model.keras``, ``metrics.json`` and ``history.png`` to ``output_dir``, each atomically."""
    with atomic_path(os.path.join(output_dir, MODEL_FILENAME)) as path:
        model.save(path)
    with atomic_path(os.path.join(output_dir, METRICS_FILENAME)) as path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(metrics, file, indent=2)
            file.write("\n")
    with atomic_path(os.path.join(output_dir, HISTORY_PLOT_FILENAME)) as path:
        plot_history(metrics["history"], path, title=_plot_title(metrics))
    logger.info("Wrote %s, %s and %s to %s", MODEL_FILENAME, METRICS_FILENAME, HISTORY_PLOT_FILENAME, output_dir)


def _check_model_kwargs(model_kwargs):
    if model_kwargs is None:
        return {}
    if not isinstance(model_kwargs, dict):
        raise ValueError(f"`model_kwargs` must be a dict or None. Received: model_kwargs={model_kwargs!r}")
    for name in ("input_shape", "classes"):
        if name in model_kwargs:
            raise ValueError(
                f"`model_kwargs` must not set {name!r}: train derives it from `image_size` and the dataset. "
                f"Received: model_kwargs={model_kwargs!r}"
            )
    try:
        json.dumps(model_kwargs)
    except TypeError as error:
        raise ValueError(
            f"`model_kwargs` must be JSON-serialisable, because metrics.json stores it. Received: model_kwargs={model_kwargs!r}"
        ) from error
    return dict(model_kwargs)


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"`seed` must be an integer in [0, {MAX_SEED}]. Received: seed={seed!r}")


def _check_output_dir(output_dir):
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"Output path {output_dir!r} exists and is not a folder. Pass a folder for `output_dir`.")


def _json_float(value):
    """Return ``value`` as a float, or None where it is NaN or infinite, which JSON cannot store."""
    value = float(value)
    return value if math.isfinite(value) else None


def _max_finite(values):
    finite = [value for value in values if value is not None]
    return max(finite) if finite else None


def _plot_title(metrics):
    """Return "model (alpha=0.5) on dataset" for the history figure."""
    arguments = ", ".join(f"{name}={value}" for name, value in sorted(metrics["model_kwargs"].items()))
    model = f"{metrics['model']} ({arguments})" if arguments else metrics["model"]
    return f"{model} on {os.path.basename(metrics['dataset'])}"
