"""End-to-end checks: train on the digits with the CLI defaults, then export to TFLite.

The three runs of the foundation's acceptance criteria (squeezenet1_1, mobilenet at alpha 0.25,
mobilenet_v2 at alpha 0.35) train for the default 30 epochs at 32 pixels, together about four
minutes on 2 CPU cores, so they are marked slow. CI runs them.
"""

import json

import pytest

from kerascnn.cli.main import main

MIN_VAL_ACCURACY = 0.95
MIN_INT8_TOP1_AGREEMENT = 0.98
MAX_FLOAT32_ABS_ERROR = 1e-4

# (model name, extra `kerascnn train` options)
ACCEPTANCE_RUNS = {
    "squeezenet1_1": [],
    "mobilenet": ["--alpha", "0.25"],
    "mobilenet_v2": ["--alpha", "0.35"],
}


@pytest.fixture(scope="module", params=list(ACCEPTANCE_RUNS))
def trained_run(request, tmp_path_factory):
    """Train one model with every default except the output folder; return (folder, metrics)."""
    model_name = request.param
    output_dir = tmp_path_factory.mktemp("acceptance") / model_name
    arguments = ["train", "--model", model_name, *ACCEPTANCE_RUNS[model_name], "--output", str(output_dir), "-q"]

    status = main(arguments)

    assert status == 0
    metrics = json.loads((output_dir / "metrics.json").read_text())
    return output_dir, metrics


@pytest.mark.slow
def test_digits_accuracy(trained_run):
    _, metrics = trained_run

    assert metrics["epochs"] == 30
    assert metrics["image_size"] == 32
    assert metrics["val_accuracy"] >= MIN_VAL_ACCURACY, metrics["history"]["val_accuracy"]


@pytest.mark.slow
@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_digits_export(trained_run, quantize):
    output_dir, _ = trained_run
    tflite_path = output_dir / f"model_{quantize}.tflite"
    arguments = ["export", str(output_dir / "model.keras"), "--quantize", quantize, "--output", str(tflite_path), "-q"]

    status = main(arguments)

    assert status == 0
    report = json.loads(tflite_path.with_suffix(".json").read_text())
    assert all(not name.startswith("Flex") and name != "CUSTOM" for name in report["op_types"]), report["op_types"]
    if quantize == "int8":
        assert report["top1_agreement"] >= MIN_INT8_TOP1_AGREEMENT, report
    else:
        assert report["max_abs_error"] <= MAX_FLOAT32_ABS_ERROR, report
