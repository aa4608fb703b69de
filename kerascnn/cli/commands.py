"""The subcommands of ``kerascnn``: each turns parsed arguments into one library call and logs the result."""

import dataclasses
import json
import logging
import os

import keras
import numpy as np

from kerascnn import models
from kerascnn.datasets import DIGITS_CLASS_NAMES
from kerascnn.datasets.folder import list_image_files
from kerascnn.export.tflite import MAX_REPRESENTATIVE_IMAGES, export_tflite
from kerascnn.training.data import DIGITS, load_split_images
from kerascnn.training.recipes import recipe_for
from kerascnn.training.train import METRICS_FILENAME, train

logger = logging.getLogger(__name__)

DEFAULT_IMAGE_SIZE = 32
RHO_BASE_SIZE = 224  # The MobileNet models' input side at rho 1.0.
# Model constructor arguments that `train` sets from command-line options of the same name.
MODEL_OPTIONS = ("alpha", "rho")
# Without a dataset, `export` verifies every mode but int8 on this many seeded uniform images in [0, 1).
RANDOM_VALIDATION_IMAGES = 64


def run_models(args):
    """Print each registered model name with its one-line summary."""
    names = models.names()
    width = max(len(name) for name in names)
    for name in names:
        print(f"{name:<{width}}  {models.entry(name).summary}")


def run_train(args):
    """Train the model of ``args`` and log its final validation metrics."""
    model_kwargs = _model_kwargs(args)
    image_size = _train_image_size(args)
    recipe = recipe_for(args.model)
    if args.learning_rate is not None:
        recipe = dataclasses.replace(recipe, learning_rate=args.learning_rate)

    metrics = train(
        args.model,
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        image_size=image_size,
        output_dir=args.output,
        model_kwargs=model_kwargs,
        recipe=recipe,
        augment=args.augment,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
    )
    logger.info(
        "val_accuracy %.4f (best %.4f), val_loss %.4f after %d epochs in %.1f s",
        metrics["val_accuracy"],
        metrics["best_val_accuracy"],
        metrics["val_loss"],
        metrics["epochs"],
        metrics["seconds"],
    )


def run_export(args):
    """Export the .keras model of ``args`` to TFLite, verify it and log the report."""
    if not os.path.exists(args.model):
        raise FileNotFoundError(f"Model file not found: {args.model!r}")
    if not os.path.isfile(args.model) or not args.model.endswith(".keras"):
        raise ValueError(
            "MODEL must be a .keras file, such as the model.keras that `kerascnn train` writes. "
            f"Received: {args.model!r}"
        )
    run_metrics = _read_run_metrics(args.model)
    model = keras.saving.load_model(args.model)
    image_size = _export_image_size(args, run_metrics, model)
    dataset = args.dataset or run_metrics.get("dataset")
    if args.dataset is None and dataset is not None:
        logger.info("Using the dataset %s recorded in the %s beside %s", dataset, METRICS_FILENAME, args.model)
    output_path = args.output or _default_tflite_path(args.model, args.quantize)

    if dataset is None:
        if args.quantize == "int8":
            raise ValueError(
                f"--quantize int8 needs calibration images, but no dataset is known for {args.model!r} "
                f"because there is no {METRICS_FILENAME} beside it. Pass --dataset digits or --dataset PATH."
            )
        logger.warning(
            "No dataset is known for %s, so the TFLite model is verified on %d random images. "
            "Pass --dataset for a check on real images.",
            args.model,
            RANDOM_VALIDATION_IMAGES,
        )
        representative_images = None
        validation_images = np.random.default_rng(0).uniform(
            size=(RANDOM_VALIDATION_IMAGES, image_size, image_size, 3)
        ).astype(np.float32)
    else:
        _check_class_count(model, dataset)
        train_images, validation_images = load_split_images(
            dataset, image_size, max_train_images=MAX_REPRESENTATIVE_IMAGES
        )
        representative_images = train_images if args.quantize == "int8" else None
        # NOTE: every validation image is held in memory, which is fine for the digits but grows
        # with the size of an image folder.
        logger.info("Verifying on %d validation images of %s", len(validation_images), dataset)

    report = export_tflite(
        model,
        output_path,
        quantize=args.quantize,
        representative_images=representative_images,
        validation_images=validation_images,
        progress=None if args.quiet else _progress_bar(),
    )
    # The export module has logged the size, op types, max_abs_error and top1_agreement.
    logger.info(
        "Input %s, output %s, mean_abs_error %.3g",
        report["input_dtype"],
        report["output_dtype"],
        report["mean_abs_error"],
    )


def _check_class_count(model, dataset):
    """Raise ValueError unless the model has one output per class of ``dataset``."""
    if dataset == DIGITS:
        class_count = len(DIGITS_CLASS_NAMES)
    else:
        class_count = len(list_image_files(dataset))
    output_count = model.output_shape[-1]
    if output_count != class_count:
        raise ValueError(
            f"Model {model.name!r} has {output_count} outputs, but the dataset {dataset} has {class_count} "
            "classes, so its images cannot verify the export. Pass the --dataset that the model was trained on."
        )


def _model_kwargs(args):
    """Return the model arguments given as options, checking that the model takes each one."""
    model_entry = models.entry(args.model)
    model_kwargs = {}
    for name in MODEL_OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        if not model_entry.accepts(name):
            takers = [other for other in models.names() if models.entry(other).accepts(name)]
            raise ValueError(
                f"--{name} does not apply to model {args.model!r}. Models that take --{name}: {', '.join(takers)}"
            )
        model_kwargs[name] = value
    return model_kwargs


def _train_image_size(args):
    """Return the image size from --image-size and --rho, raising ValueError if they disagree."""
    if args.rho is None:
        return args.image_size if args.image_size is not None else DEFAULT_IMAGE_SIZE
    # MobileNet and MobileNetV2 round rho the same way, so they accept this input size.
    size = int(round(RHO_BASE_SIZE * args.rho))
    if args.image_size is not None and args.image_size != size:
        raise ValueError(
            f"--rho {args.rho} means {size}x{size} pixel inputs (round({RHO_BASE_SIZE} * rho)), but "
            f"--image-size is {args.image_size}. Pass only one of them, or make them agree."
        )
    return size


def _read_run_metrics(model_path):
    """Return the metrics.json beside ``model_path`` as a dict, or an empty dict if there is none."""
    metrics_path = os.path.join(os.path.dirname(os.path.abspath(model_path)), METRICS_FILENAME)
    if not os.path.isfile(metrics_path):
        logger.debug("No %s beside %s", METRICS_FILENAME, model_path)
        return {}
    try:
        with open(metrics_path, encoding="utf-8") as file:
            run_metrics = json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f"{metrics_path!r} is not valid JSON: {error}") from error
    if not isinstance(run_metrics, dict):
        raise ValueError(f"{metrics_path!r} must contain a JSON object, as written by `kerascnn train`.")
    return run_metrics


def _export_image_size(args, run_metrics, model):
    """Return the image size from --image-size, metrics.json or the model, checked against the model."""
    input_size = tuple(model.input_shape[1:3])
    fixed_size = input_size[0] if input_size[0] is not None and input_size[0] == input_size[1] else None
    image_size = args.image_size or run_metrics.get("image_size") or fixed_size
    if image_size is None:
        raise ValueError(
            f"The model {args.model!r} takes inputs of any size and no image size is known for it. "
            "Pass --image-size."
        )
    if input_size[0] is not None and input_size != (image_size, image_size):
        raise ValueError(
            f"The model {args.model!r} takes {input_size[0]}x{input_size[1]} pixel inputs, "
            f"but the image size is {image_size}. Pass --image-size {input_size[0]} or leave it out."
        )
    return image_size


def _default_tflite_path(model_path, quantize):
    """Return MODEL's path with the suffix replaced, e.g. ``model_int8.tflite`` or ``model_float32.tflite``."""
    stem = os.path.splitext(model_path)[0]
    label = "float32" if quantize == "none" else quantize
    return f"{stem}_{label}.tflite"


def _progress_bar():
    """Return a ``progress(done, total)`` callback that drives a Keras progress bar."""
    progress_bar = None

    def update(done, total):
        nonlocal progress_bar
        if progress_bar is None:
            progress_bar = keras.utils.Progbar(total, unit_name="image")
        progress_bar.update(done)

    return update
