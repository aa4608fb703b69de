"""Conversion of Keras models to TFLite flatbuffers, and their verification against Keras.

Conversion path: the model is written as a SavedModel through ``keras.export.ExportArchive``
with an inference-mode (``training=False``) endpoint, and that SavedModel is converted with
``tf.lite.TFLiteConverter.from_saved_model``. Checked with Keras 3.15 and TensorFlow 2.21:

- ``from_keras_model`` takes the same SavedModel route for Keras 3 models, but it catches any
  error of that step and silently falls back to its legacy freezing path, which does not support
  Keras 3 models. It also prints the SavedModel's path and endpoints to stdout.
- ``from_concrete_functions`` on a ``tf.function`` of the model keeps the Keras 3 weights as
  resource variables (VAR_HANDLE and READ_VARIABLE ops). The float model then returns NaN in
  ai-edge-litert and the int8 model fails to run.
- ``model.export(format="litert")`` also goes through a SavedModel, but it enables select TF
  (Flex) ops by default and writes only to a file.
"""

import functools
import json
import logging
import os
import re
import tempfile

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert import schema_py_generated as tflite_schema
from ai_edge_litert.interpreter import Interpreter

from kerascnn._files import atomic_path
from kerascnn._validation import check_choice, check_positive_int

logger = logging.getLogger(__name__)

QUANTIZE_CHOICES = ("none", "float16", "dynamic", "int8")

# Calibration runs the float model once per representative image. Up to this many images are
# used, evenly spaced over the array given, to bound the conversion time.
MAX_REPRESENTATIVE_IMAGES = 200

REPORT_SUFFIX = ".json"

_BUILTIN_OPERATOR_NAMES = {
    code: name for name, code in vars(tflite_schema.BuiltinOperator).items() if not name.startswith("_")
}


def convert(model, quantize="none", representative_images=None):
    """Convert a Keras model to a TFLite flatbuffer that uses builtin ops only.

    Select TF (Flex) and custom ops are never enabled, so the result runs on the plain TFLite
    runtime. The TFLite model keeps the Keras input's batch dimension, None for models built
    with ``keras.Input``, so its input tensor can be resized to any batch size.

    Args:
        model: a built Keras 3 model with exactly one input, for example a functional model.
        quantize: one of ``QUANTIZE_CHOICES``. Defaults to "none".

            - "none": float32 weights and activations.
            - "float16": weights stored as float16, which DEQUANTIZE ops turn back into
              float32 for the float32 kernels.
            - "dynamic": dynamic-range quantization. Weights are stored as int8, and the input
              and output stay float32.
            - "int8": full integer quantization calibrated on ``representative_images``, with
              int8 input and output tensors and int8 kernels only.
        representative_images: float32 array of shape ``(n, height, width, channels)``, the
            calibration data that "int8" requires. At most ``MAX_REPRESENTATIVE_IMAGES`` of
            them are used, evenly spaced over the array. The other modes ignore it.

    Returns:
        The TFLite flatbuffer as bytes.

    Raises:
        ValueError: if ``quantize`` is not a known choice, ``representative_images`` is missing
            or has the wrong shape for "int8", or the model does not have exactly one input.
        RuntimeError: if the conversion fails, for example because an op has no TFLite builtin
            kernel, or the result contains a non-builtin op.
    """
    check_choice("quantize", quantize, QUANTIZE_CHOICES)
    input_spec = _input_spec(model)
    calibration_images = None
    if quantize == "int8":
        if representative_images is None:
            raise ValueError(
                "quantize='int8' needs calibration data: pass `representative_images`, a float32 "
                "array of shape (n, height, width, channels). Received: representative_images=None"
            )
        calibration_images = _check_images("representative_images", representative_images, input_spec)
        calibration_images = _spread_sample(calibration_images, MAX_REPRESENTATIVE_IMAGES)

    with tempfile.TemporaryDirectory(prefix="kerascnn_savedmodel_") as saved_model_dir:
        _write_saved_model(model, input_spec, saved_model_dir)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
        _configure_converter(converter, quantize, calibration_images)
        # The converter raises ConverterError for graphs it cannot lower, and other exception
        # types from calibration or the SavedModel import.
        try:
            tflite_model = converter.convert()
        except Exception as error:
            raise RuntimeError(_conversion_failure_message(model, quantize, error)) from error

    tflite_model = bytes(tflite_model)
    operators = _operators(tflite_model)
    non_builtin = sorted({name for name, is_builtin in operators if not is_builtin})
    if non_builtin:
        raise RuntimeError(
            f"The TFLite model converted from {model.name!r} with quantize={quantize!r} contains "
            f"non-builtin ops: {', '.join(non_builtin)}. kerascnn allows TFLite builtin ops only."
        )
    logger.info(
        "Converted model %r to TFLite (quantize=%s): %d bytes, ops: %s",
        model.name,
        quantize,
        len(tflite_model),
        ", ".join(sorted({name for name, _ in operators})),
    )
    return tflite_model


def op_types(tflite_model):
    """List the op types that a TFLite flatbuffer uses, read from the file itself.

    Builtin ops have their schema names (CONV_2D, SOFTMAX). Custom ops, Flex ops included, have
    their custom code (for example FlexMatrixInverse). The interpreter's op list is not used,
    because it shows the nodes that a delegate took over as DELEGATE.

    Args:
        tflite_model: the flatbuffer as bytes.

    Returns:
        The sorted unique op names of every subgraph.

    Raises:
        ValueError: if ``tflite_model`` is not a TFLite flatbuffer.
    """
    return sorted({name for name, _ in _operators(tflite_model)})


def verify(tflite_model, model, images, batch_size=64, progress=None):
    """Run a TFLite model and its Keras model on the same images and compare the outputs.

    The TFLite model runs in ``ai_edge_litert.interpreter.Interpreter`` with its input resized to
    each batch. Quantized input and output tensors (int8, uint8) are handled with their scale
    and zero point, so the errors are in the Keras model's output units.

    Args:
        tflite_model: the flatbuffer as bytes, with one input and one output tensor.
        model: the Keras model it was converted from.
        images: float32 array of shape ``(n, height, width, channels)`` matching the model input.
        batch_size: int, images per TFLite invocation and per Keras predict step. Defaults to 64.
        progress: optional callable ``progress(done, total)``, called with the number of images
            run so far and ``n`` after each TFLite batch.

    Returns:
        A JSON-serializable dict:

        - ``max_abs_error``, ``mean_abs_error``: float, absolute difference between the TFLite
          and Keras outputs over all elements.
        - ``top1_agreement``: float in [0, 1], the share of outputs whose argmax over the last
          axis is the same in both.
        - ``num_samples``: int, ``n``.
        - ``size_bytes``: int, size of the flatbuffer.
        - ``op_types``: list of str, as ``op_types`` returns it.
        - ``input_dtype``, ``output_dtype``: str, dtypes of the TFLite input and output tensors
          such as "float32" or "int8".

    Raises:
        ValueError: if an argument is invalid, or the TFLite and Keras outputs differ in shape.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    _check_progress(progress)
    images = _check_images("images", images, _input_spec(model))
    tflite_model = bytes(tflite_model)
    types = op_types(tflite_model)

    tflite_outputs, input_dtype, output_dtype = _run_tflite(tflite_model, images, batch_size, progress)
    keras_outputs = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)
    if tflite_outputs.shape != keras_outputs.shape:
        raise ValueError(
            f"The TFLite output has shape {tflite_outputs.shape} but the Keras model {model.name!r} "
            f"returns {keras_outputs.shape} for the same images, so the TFLite model was not converted from it."
        )

    errors = np.abs(tflite_outputs - keras_outputs)
    agreement = np.mean(np.argmax(tflite_outputs, axis=-1) == np.argmax(keras_outputs, axis=-1))
    report = {
        "max_abs_error": float(np.max(errors)),
        "mean_abs_error": float(np.mean(errors)),
        "top1_agreement": float(agreement),
        "num_samples": int(len(images)),
        "size_bytes": len(tflite_model),
        "op_types": types,
        "input_dtype": input_dtype,
        "output_dtype": output_dtype,
    }
    if not np.all(np.isfinite(tflite_outputs)):
        logger.warning("The TFLite model of %r returned NaN or infinite values.", model.name)
    return report


def export_tflite(
    model,
    output_path,
    quantize="none",
    representative_images=None,
    validation_images=None,
    progress=None,
):
    """Convert a Keras model, write the .tflite file, verify it and write the report next to it.

    Both files are written to a temporary file in the target folder first and then moved over
    the target with ``os.replace``, so a reader never sees a partial file.

    Args:
        model: the Keras model, as for ``convert``.
        output_path: path of the TFLite file to write. Missing parent folders are created. The
            report goes to the same path with the suffix ".json" (``model.tflite`` gives
            ``model.json``).
        quantize: one of ``QUANTIZE_CHOICES``, as for ``convert``. Defaults to "none".
        representative_images: calibration images for "int8", as for ``convert``.
        validation_images: float32 array of shape ``(n, height, width, channels)`` with n >= 1,
            the images that ``verify`` runs. Required.
        progress: optional callable ``progress(done, total)``, passed to ``verify``.

    Returns:
        The report of ``verify`` with ``quantize`` and ``tflite_path`` (``output_path`` as given)
        added.

    Raises:
        ValueError: if ``validation_images`` is missing or empty, ``output_path`` ends in
            ".json", or ``convert`` or ``verify`` rejects an argument.
        RuntimeError: if the conversion fails.
    """
    check_choice("quantize", quantize, QUANTIZE_CHOICES)
    _check_progress(progress)
    if validation_images is None:
        raise ValueError(
            "`validation_images` is required: export_tflite verifies the TFLite model against Keras "
            "on them. Pass a float32 array of shape (n, height, width, channels). "
            "Received: validation_images=None"
        )
    validation_images = _check_images("validation_images", validation_images, _input_spec(model))
    tflite_path = os.fspath(output_path)
    report_path = os.path.splitext(tflite_path)[0] + REPORT_SUFFIX
    if report_path == tflite_path:
        raise ValueError(
            f"`output_path` must not end in {REPORT_SUFFIX!r}, which is the suffix of the report "
            f"file written next to it. Received: output_path={tflite_path!r}"
        )

    tflite_model = convert(model, quantize=quantize, representative_images=representative_images)
    _write_atomically(tflite_path, tflite_model)
    logger.info("Wrote %s (%d bytes)", tflite_path, len(tflite_model))

    report = verify(tflite_model, model, validation_images, progress=progress)
    report["quantize"] = quantize
    report["tflite_path"] = tflite_path
    _write_atomically(report_path, (json.dumps(report, indent=2) + "\n").encode("utf-8"))
    logger.info(
        "Wrote %s: max_abs_error=%.3g, top1_agreement=%.4f on %d images",
        report_path,
        report["max_abs_error"],
        report["top1_agreement"],
        report["num_samples"],
    )
    return report


def _input_spec(model):
    """Return the tf.TensorSpec of the model's only input, batch dimension included."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model of type {type(model).__name__}")
    try:
        inputs = model.inputs
    except AttributeError:
        inputs = None
    if not inputs:
        raise ValueError(
            f"Model {model.name!r} has no defined inputs. Build it with keras.Input (a functional or "
            "Sequential model) before exporting it."
        )
    if len(inputs) != 1:
        raise ValueError(f"Model {model.name!r} must have exactly one input to be exported. It has {len(inputs)}.")
    return tf.TensorSpec(shape=tuple(inputs[0].shape), dtype=inputs[0].dtype, name="images")


def _write_atomically(path, data):
    """Write ``data`` to a temporary file in the folder of ``path``, then move it over ``path``."""
    with atomic_path(path) as temporary_path:
        with open(temporary_path, "wb") as file:
            file.write(data)


def _check_images(name, images, input_spec):
    """Return ``images`` as a float32 array, raising ValueError unless it fits ``input_spec``."""
    try:
        array = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be a float32 array of shape (n, height, width, channels). "
            f"Received: {name} of type {type(images).__name__}"
        ) from error

    expected = tuple(input_spec.shape[1:])
    fits = array.ndim == len(expected) + 1 and all(
        size is None or size == actual for size, actual in zip(expected, array.shape[1:])
    )
    if not fits:
        raise ValueError(
            f"`{name}` must have the shape (n,) + {expected} of the model input, None meaning any size. "
            f"Received: {name} with shape {array.shape}"
        )
    if len(array) == 0:
        raise ValueError(f"`{name}` must contain at least one image. Received: {name} with shape {array.shape}")
    return array


def _check_progress(progress):
    if progress is not None and not callable(progress):
        raise ValueError(f"`progress` must be None or a callable(done, total). Received: progress={progress!r}")


def _spread_sample(images, max_count):
    """Return at most ``max_count`` images, evenly spaced so that a sorted array keeps its variety."""
    if len(images) <= max_count:
        return images
    indices = np.linspace(0, len(images) - 1, num=max_count).round().astype(int)
    return images[indices]


def _write_saved_model(model, input_spec, directory):
    """Write ``model`` in inference mode as a SavedModel with one "serve" endpoint."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", functools.partial(model.__call__, training=False), input_signature=[input_spec])
    archive.write_out(directory, verbose=False)


def _configure_converter(converter, quantize, calibration_images):
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "none":
        return

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8

        def representative_dataset():
            for index in range(len(calibration_images)):
                yield [calibration_images[index : index + 1]]

        converter.representative_dataset = representative_dataset


def _conversion_failure_message(model, quantize, error):
    """Describe a converter error, naming the TensorFlow ops that have no builtin TFLite kernel."""
    details = str(error).strip()
    missing_ops = sorted(set(re.findall(r"'(tf\.\w+)' op is neither a custom op nor a flex op", details)))
    kernel = "an int8 builtin TFLite kernel" if quantize == "int8" else "a builtin TFLite kernel"
    message = (
        f"TFLite conversion of model {model.name!r} with quantize={quantize!r} failed. kerascnn allows "
        f"TFLite builtin ops only (no select TF or Flex ops), so every op of the model needs {kernel}."
    )
    if missing_ops:
        message += f" Ops without a builtin kernel: {', '.join(missing_ops)}."
    first_line = details.splitlines()[0] if details else type(error).__name__
    return f"{message} Converter error: {first_line}"


def _operators(tflite_model):
    """Return ``(op name, is builtin)`` for every op used in the flatbuffer's subgraphs."""
    buffer = bytes(tflite_model)
    if len(buffer) < 8 or not tflite_schema.Model.ModelBufferHasIdentifier(buffer, 0):
        raise ValueError("`tflite_model` is not a TFLite flatbuffer: its file identifier is not 'TFL3'.")
    flatbuffer_model = tflite_schema.Model.GetRootAs(buffer, 0)

    used_codes = set()
    for subgraph_index in range(flatbuffer_model.SubgraphsLength()):
        subgraph = flatbuffer_model.Subgraphs(subgraph_index)
        for operator_index in range(subgraph.OperatorsLength()):
            used_codes.add(subgraph.Operators(operator_index).OpcodeIndex())

    operators = []
    for code_index in sorted(used_codes):
        operator_code = flatbuffer_model.OperatorCodes(code_index)
        # Codes above 127 are stored in BuiltinCode, and DeprecatedBuiltinCode then contains
        # PLACEHOLDER_FOR_GREATER_OP_CODES (127). Older files fill only DeprecatedBuiltinCode.
        code = max(operator_code.BuiltinCode(), operator_code.DeprecatedBuiltinCode())
        if code == tflite_schema.BuiltinOperator.CUSTOM:
            custom_code = operator_code.CustomCode()
            operators.append((custom_code.decode("utf-8") if custom_code else "CUSTOM", False))
        else:
            operators.append((_BUILTIN_OPERATOR_NAMES.get(code, f"BUILTIN_{code}"), True))
    return operators


def _run_tflite(tflite_model, images, batch_size, progress):
    """Run the TFLite model on ``images`` in batches and return (float32 outputs, input dtype, output dtype)."""
    interpreter = Interpreter(model_content=tflite_model)
    input_details = interpreter.get_input_details()
    output_details = interpreter.get_output_details()
    if len(input_details) != 1 or len(output_details) != 1:
        raise ValueError(
            "verify supports TFLite models with one input and one output tensor. This one has "
            f"{len(input_details)} inputs and {len(output_details)} outputs."
        )
    input_index = input_details[0]["index"]
    output_index = output_details[0]["index"]

    outputs = []
    allocated_batch = None
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if len(batch) != allocated_batch:
            interpreter.resize_tensor_input(input_index, batch.shape)
            interpreter.allocate_tensors()
            allocated_batch = len(batch)

        input_detail = interpreter.get_input_details()[0]
        interpreter.set_tensor(input_index, _quantize(batch, input_detail))
        interpreter.invoke()
        output_detail = interpreter.get_output_details()[0]
        outputs.append(_dequantize(interpreter.get_tensor(output_index), output_detail))

        if progress is not None:
            progress(start + len(batch), len(images))

    input_dtype = np.dtype(input_details[0]["dtype"]).name
    output_dtype = np.dtype(output_details[0]["dtype"]).name
    return np.concatenate(outputs, axis=0), input_dtype, output_dtype


def _quantize(values, detail):
    """Map float values to the tensor's dtype with its scale and zero point (real = scale * (q - zero_point))."""
    dtype = np.dtype(detail["dtype"])
    scale, zero_point = detail["quantization"]
    # A scale of 0 marks a tensor without quantization parameters.
    if not np.issubdtype(dtype, np.integer) or scale == 0:
        return values.astype(dtype)
    limits = np.iinfo(dtype)
    quantized = np.round(values / scale) + zero_point
    return np.clip(quantized, limits.min, limits.max).astype(dtype)


def _dequantize(values, detail):
    """Map the tensor's values back to float32 with its scale and zero point."""
    scale, zero_point = detail["quantization"]
    if not np.issubdtype(np.dtype(detail["dtype"]), np.integer) or scale == 0:
        return values.astype(np.float32)
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)
