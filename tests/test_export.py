"""Tests of kerascnn.export: TFLite conversion with builtin ops only, quantization and verification.

Freshly initialized MobileNets return near-constant outputs (their activations shrink layer by
layer), which would let any error bound pass. The models here therefore get their batch
normalization statistics set from real images first, so that the outputs differ from image to
image and an error between TFLite and Keras shows up.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascnn
from kerascnn import export

INPUT_SHAPE = (32, 32, 3)
CLASSES = 10
SEED = 1234

# Extra constructor arguments per registry name. The narrow widths keep each conversion fast.
MODEL_KWARGS = {
    "mobilenet": {"alpha": 0.25},
    "mobilenet_v2": {"alpha": 0.35},
}

# Bound on max_abs_error of the float32 TFLite model against Keras, on softmax outputs. Measured
# with these fixtures, TF 2.21 and ai-edge-litert 2.3 on an x86-64 CPU: 3.4e-5 for mobilenet_v2,
# 2.2e-5 for mobilenet and 0 for both SqueezeNets.
FLOAT32_MAX_ABS_ERROR = 1e-4

# (registry name, quantize, bound on max_abs_error, bound on mean_abs_error) on softmax outputs.
# These models have random weights, so the bounds are generous multiples of the errors measured
# as above (max / mean): squeezenet1_0 float16 3.5e-5 / 8.8e-6, dynamic 8.7e-4 / 1.9e-4,
# int8 2.8e-3 / 9.8e-4, and mobilenet int8 0.72 / 0.062. Random-weight MobileNets quantize
# badly, and their top-1 agreement (0.47 for int8) means little, so it is not checked.
QUANTIZED_CASES = [
    ("squeezenet1_0", "float16", 1e-3, 1e-4),
    ("squeezenet1_0", "dynamic", 1e-2, 1e-3),
    ("squeezenet1_0", "int8", 2e-2, 5e-3),
    ("mobilenet", "int8", 1.0, 0.15),
]

REPORT_KEYS = {
    "max_abs_error",
    "mean_abs_error",
    "top1_agreement",
    "num_samples",
    "size_bytes",
    "op_types",
    "input_dtype",
    "output_dtype",
}


def _set_batch_norm_statistics(model, images):
    """Set every BatchNormalization's moving mean and variance to the statistics of ``images``.

    With momentum 0, one forward pass in training mode replaces the moving statistics by the
    batch statistics. ``_flatten_layers`` is the Keras 3 walk that includes layers nested in
    custom layers (the blocks), which ``model.layers`` leaves out.
    """
    batch_norms = [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    momenta = [layer.momentum for layer in batch_norms]
    for layer in batch_norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer, momentum in zip(batch_norms, momenta):
        layer.momentum = momentum


def _build_model(name, calibration_images):
    model = kerascnn.models.get(name, input_shape=INPUT_SHAPE, classes=CLASSES, **MODEL_KWARGS.get(name, {}))
    _set_batch_norm_statistics(model, calibration_images)
    return model


@pytest.fixture(scope="module")
def digits():
    """``(calibration images, validation images)``: 32 training and 32 validation digits."""
    (x_train, _), (x_val, _) = kerascnn.datasets.load_digits(image_size=INPUT_SHAPE[0])
    return x_train[:32], x_val[:32]


@pytest.fixture(scope="module")
def models(digits):
    """Every registered model, built once with seeded weights and real batch norm statistics."""
    keras.utils.set_random_seed(SEED)
    calibration_images, _ = digits
    return {name: _build_model(name, calibration_images) for name in kerascnn.models.names()}


@pytest.fixture(scope="module")
def converted(models, digits):
    """Return ``converted(name, quantize)``, the TFLite model, converting each pair only once."""
    calibration_images, _ = digits
    cache = {}

    def convert(name, quantize):
        if (name, quantize) not in cache:
            cache[name, quantize] = export.convert(
                models[name], quantize=quantize, representative_images=calibration_images
            )
        return cache[name, quantize]

    return convert


def _builtin_names():
    """The names of all TFLite builtin operators, from the schema that ships with LiteRT."""
    from ai_edge_litert import schema_py_generated as tflite_schema

    return {name for name in vars(tflite_schema.BuiltinOperator) if not name.startswith("_")} - {"CUSTOM"}


def _inverse_model():
    """A tiny model with a matrix inverse, which has no builtin TFLite kernel (only a Flex one)."""

    class MatrixInverse(keras.layers.Layer):
        def call(self, inputs):
            matrices = tf.reshape(inputs, (-1, 2, 2)) + 3.0 * tf.eye(2)
            return tf.reshape(tf.linalg.inv(matrices), (-1, 4))

    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3)(MatrixInverse()(inputs)), name="inverse")


@pytest.mark.parametrize("name", kerascnn.models.names())
def test_float32_matches_keras(name, models, converted, digits):
    _, validation_images = digits
    tflite_model = converted(name, "none")
    report = export.verify(tflite_model, models[name], validation_images)

    keras_outputs = models[name].predict(validation_images, verbose=0)
    assert np.std(keras_outputs, axis=0).max() > 1e-3, "Keras outputs barely vary, so the error bound tests nothing"
    assert set(report["op_types"]) <= _builtin_names()
    assert report["max_abs_error"] <= FLOAT32_MAX_ABS_ERROR
    assert report["top1_agreement"] == 1.0
    assert report["num_samples"] == len(validation_images)
    assert report["size_bytes"] == len(tflite_model)
    assert report["input_dtype"] == "float32"
    assert report["output_dtype"] == "float32"


@pytest.mark.parametrize(
    "name, quantize, max_error_bound, mean_error_bound",
    QUANTIZED_CASES,
    ids=[f"{name}-{quantize}" for name, quantize, _, _ in QUANTIZED_CASES],
)
def test_quantized_runs_within_bound(name, quantize, max_error_bound, mean_error_bound, models, converted, digits):
    _, validation_images = digits
    tflite_model = converted(name, quantize)
    report = export.verify(tflite_model, models[name], validation_images)

    assert set(report["op_types"]) <= _builtin_names()
    assert report["max_abs_error"] <= max_error_bound
    assert report["mean_abs_error"] <= mean_error_bound
    assert report["size_bytes"] < len(converted(name, "none"))
    expected_dtype = "int8" if quantize == "int8" else "float32"
    assert report["input_dtype"] == expected_dtype
    assert report["output_dtype"] == expected_dtype


def test_float16_stores_float16_weights(converted):
    assert "DEQUANTIZE" in export.op_types(converted("squeezenet1_0", "float16"))
    assert "DEQUANTIZE" not in export.op_types(converted("squeezenet1_0", "none"))


def test_verify_batches_and_reports_progress(models, converted, digits):
    _, validation_images = digits
    calls = []
    report = export.verify(
        converted("mobilenet", "none"),
        models["mobilenet"],
        validation_images,
        batch_size=12,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(12, 32), (24, 32), (32, 32)]
    assert report["num_samples"] == 32
    assert report["max_abs_error"] <= FLOAT32_MAX_ABS_ERROR


def test_verify_detects_other_weights(models, converted, digits):
    calibration_images, validation_images = digits
    other = keras.models.clone_model(models["mobilenet"])
    _set_batch_norm_statistics(other, calibration_images)

    report = export.verify(converted("mobilenet", "none"), other, validation_images)

    assert report["max_abs_error"] > 100 * FLOAT32_MAX_ABS_ERROR


def test_verify_int8_quantizes_input_and_output(digits):
    # A linear model (convolution, then mean) whose int8 output error should stay within a few
    # output quantization steps (about 0.002 here), so a wrong scale or zero point shows.
    # Measured: max_abs_error 3.0e-3.
    calibration_images, validation_images = digits
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input(INPUT_SHAPE)
    features = keras.layers.Conv2D(4, 3, strides=4)(inputs)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(features))

    report = export.verify(
        export.convert(model, quantize="int8", representative_images=calibration_images),
        model,
        validation_images,
    )

    assert report["input_dtype"] == "int8"
    assert report["output_dtype"] == "int8"
    assert report["max_abs_error"] <= 0.01


def test_verify_rejects_wrong_image_shape(models, converted):
    with pytest.raises(ValueError, match=r"`images` must have the shape \(n,\) \+ \(32, 32, 3\)"):
        export.verify(converted("mobilenet", "none"), models["mobilenet"], np.zeros((2, 16, 16, 3), np.float32))


def test_export_writes_model_and_report(models, digits, tmp_path):
    _, validation_images = digits
    output_path = tmp_path / "new_folder" / "squeezenet.tflite"
    calls = []

    report = export.export_tflite(
        models["squeezenet1_1"],
        output_path,
        validation_images=validation_images,
        progress=lambda done, total: calls.append((done, total)),
    )

    report_path = tmp_path / "new_folder" / "squeezenet.json"
    assert sorted(os.listdir(output_path.parent)) == ["squeezenet.json", "squeezenet.tflite"]
    assert set(report) == REPORT_KEYS | {"quantize", "tflite_path"}
    assert json.loads(report_path.read_text()) == report
    assert report["quantize"] == "none"
    assert report["tflite_path"] == os.fspath(output_path)
    assert report["size_bytes"] == output_path.stat().st_size
    assert report["max_abs_error"] <= FLOAT32_MAX_ABS_ERROR
    assert export.op_types(output_path.read_bytes()) == report["op_types"]
    assert calls == [(32, 32)]


def test_export_int8_report(models, digits, tmp_path):
    calibration_images, validation_images = digits
    output_path = tmp_path / "model.tflite"

    report = export.export_tflite(
        models["squeezenet1_1"],
        output_path,
        quantize="int8",
        representative_images=calibration_images,
        validation_images=validation_images,
    )

    saved = json.loads((tmp_path / "model.json").read_text())
    assert saved["quantize"] == "int8"
    assert saved["input_dtype"] == "int8"
    assert saved["output_dtype"] == "int8"
    assert saved == report


def test_convert_rejects_unknown_quantize(models):
    pattern = r"`quantize` must be one of 'none', 'float16', 'dynamic', 'int8'\. Received: quantize='int4'"
    with pytest.raises(ValueError, match=pattern):
        export.convert(models["squeezenet1_1"], quantize="int4")


def test_int8_requires_representative_images(models):
    with pytest.raises(ValueError, match=r"quantize='int8' needs calibration data: pass `representative_images`"):
        export.convert(models["squeezenet1_1"], quantize="int8")


def test_int8_rejects_empty_representative_images(models):
    with pytest.raises(ValueError, match=r"`representative_images` must contain at least one image"):
        export.convert(models["squeezenet1_1"], quantize="int8", representative_images=np.zeros((0, 32, 32, 3)))


@pytest.mark.parametrize("validation_images", [None, np.zeros((0, 32, 32, 3), np.float32)], ids=["none", "empty"])
def test_export_requires_validation_images(models, tmp_path, validation_images):
    with pytest.raises(ValueError, match=r"`validation_images`"):
        export.export_tflite(models["squeezenet1_1"], tmp_path / "model.tflite", validation_images=validation_images)
    assert list(tmp_path.iterdir()) == []


def test_export_rejects_non_callable_progress(models, digits, tmp_path):
    _, validation_images = digits
    with pytest.raises(ValueError, match=r"`progress` must be None or a callable\(done, total\)"):
        export.export_tflite(
            models["squeezenet1_1"], tmp_path / "model.tflite", validation_images=validation_images, progress=True
        )
    assert list(tmp_path.iterdir()) == []


def test_export_rejects_json_output_path(models, digits, tmp_path):
    _, validation_images = digits
    with pytest.raises(ValueError, match=r"`output_path` must not end in '\.json'"):
        export.export_tflite(models["squeezenet1_1"], tmp_path / "model.json", validation_images=validation_images)


def test_convert_rejects_op_without_builtin_kernel():
    with pytest.raises(RuntimeError, match=r"builtin ops only.*Ops without a builtin kernel: tf\.MatrixInverse"):
        export.convert(_inverse_model())


def test_convert_prints_nothing(capfd):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    capfd.readouterr()

    export.convert(model)

    assert capfd.readouterr().out == ""


def test_op_types_lists_flex_ops():
    # Converted here with select TF ops enabled, which convert never does.
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [tf.function(tf.linalg.inv).get_concrete_function(tf.TensorSpec((2, 2), tf.float32))]
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]

    assert export.op_types(converter.convert()) == ["FlexMatrixInverse"]


def test_op_types_rejects_other_bytes():
    with pytest.raises(ValueError, match=r"not a TFLite flatbuffer"):
        export.op_types(b"not a flatbuffer at all")
