"""Tests of the kerascnn command line, run in-process through main() except for one console-script run."""

import json
import os
import shutil
import stat
import subprocess

import numpy as np
import pytest
from PIL import Image

from kerascnn.cli.main import build_parser, main

MODEL_NAMES = ("mobilenet", "mobilenet_v2", "squeezenet1_0", "squeezenet1_1")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(argv, capsys):
    """Run ``main(argv)``; return (exit status, stdout, stderr)."""
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _write_png_folder(root, images_per_class=10, size=12):
    """Write two classes of random PNGs, bright squares ("bright") and dark ones ("dark")."""
    rng = np.random.default_rng(0)
    for class_name, low, high in (("bright", 150, 256), ("dark", 0, 100)):
        (root / class_name).mkdir(parents=True)
        for index in range(images_per_class):
            pixels = rng.integers(low, high, size=(size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / class_name / f"{index}.png")
    return root


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """Train squeezenet1_1 on the digits for one epoch through the CLI; return the model path."""
    output_dir = tmp_path_factory.mktemp("cli") / "run"
    status = main(
        ["train", "--model", "squeezenet1_1", "--epochs", "1", "--batch-size", "64", "--output", str(output_dir), "-q"]
    )
    assert status == 0
    return output_dir / "model.keras"


def test_models_lists_names(capsys):
    status, out, err = _run(["models"], capsys)

    assert status == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(MODEL_NAMES)
    assert "Iandola" in out


def test_console_script_models():
    executable = shutil.which("kerascnn")
    assert executable is not None, "the kerascnn console script is not on PATH; run `pip install -e .`"

    result = subprocess.run([executable, "models"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for name in MODEL_NAMES:
        assert name in result.stdout


def test_no_command_is_usage_error(capsys):
    status, _, err = _run([], capsys)
    assert status == 2
    assert "usage: kerascnn" in err


def test_verbose_and_quiet_before_or_after_command():
    parser = build_parser()

    before = parser.parse_args(["-v", "-q", "models"])
    after = parser.parse_args(["models", "-v", "-q"])
    neither = parser.parse_args(["models"])

    assert before.verbose
    assert before.quiet
    assert after.verbose
    assert after.quiet
    assert not neither.verbose
    assert not neither.quiet


def test_train_unknown_model(capsys):
    status, _, err = _run(["train", "--model", "resnet9000"], capsys)

    assert status == 2
    assert err.startswith("kerascnn: error: Unknown model name 'resnet9000'")
    for name in MODEL_NAMES:
        assert name in err
    assert "Traceback" not in err


def test_train_alpha_on_squeezenet(capsys):
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--alpha", "0.5"], capsys)

    assert status == 2
    assert "kerascnn: error: --alpha does not apply to model 'squeezenet1_1'" in err
    assert "Models that take --alpha: mobilenet, mobilenet_v2" in err


def test_train_rho_disagrees_with_image_size(capsys):
    status, _, err = _run(["train", "--model", "mobilenet", "--rho", "0.5", "--image-size", "32"], capsys)

    assert status == 2
    assert "--rho 0.5 means 112x112 pixel inputs" in err
    assert "--image-size is 32" in err


@pytest.mark.parametrize(
    "option, value",
    [("--epochs", "0"), ("--epochs", "two"), ("--batch-size", "-4"), ("--image-size", "0"), ("--learning-rate", "0")],
)
def test_train_rejects_invalid_number(capsys, option, value):
    status, _, err = _run(["train", "--model", "squeezenet1_1", option, value], capsys)

    assert status == 2
    assert f"argument {option}:" in err
    assert repr(value) in err


def test_train_empty_dataset_folder(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--dataset", str(empty), "--output", str(tmp_path / "run")], capsys)

    assert status == 2
    assert "kerascnn: error: Dataset folder" in err
    assert "has no class subfolders" in err


def test_train_folder_without_images(tmp_path, capsys):
    (tmp_path / "data" / "cats").mkdir(parents=True)
    (tmp_path / "data" / "cats" / "notes.txt").write_text("no images here")
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--dataset", str(tmp_path / "data")], capsys)

    assert status == 2
    assert "but no image files" in err


def test_train_missing_dataset_folder(tmp_path, capsys):
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--dataset", str(tmp_path / "nowhere")], capsys)

    assert status == 2
    assert "kerascnn: error: Dataset folder not found" in err


def test_train_corrupt_image_names_file(tmp_path, capsys):
    root = _write_png_folder(tmp_path / "data", images_per_class=3)
    corrupt = root / "dark" / "broken.png"
    corrupt.write_bytes(PNG_SIGNATURE + b"truncated")
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--dataset", str(root), "--output", str(tmp_path / "run")], capsys)

    assert status == 2
    assert str(corrupt) in err
    assert "is corrupt or not an image" in err
    assert "Traceback" not in err


def test_train_folder_dataset_one_epoch(tmp_path, capsys):
    root = _write_png_folder(tmp_path / "data")
    output_dir = tmp_path / "run"
    argv = ["train", "--model", "squeezenet1_1", "--dataset", str(root), "--epochs", "1", "--batch-size", "4"]
    status, _, err = _run(argv + ["--output", str(output_dir), "--no-augment", "-q"], capsys)

    assert status == 0, err
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert metrics["dataset"] == str(root)
    assert metrics["num_classes"] == 2
    assert metrics["class_names"] == ["bright", "dark"]
    assert metrics["augment"] is False
    assert metrics["epochs"] == 1
    assert (output_dir / "model.keras").is_file()
    assert (output_dir / "history.png").read_bytes().startswith(PNG_SIGNATURE)

    # The export takes the folder from metrics.json: 4 of the 20 images are validation images.
    status, _, err = _run(["export", str(output_dir / "model.keras"), "--quantize", "int8", "-q"], capsys)
    assert status == 0, err
    report = json.loads((output_dir / "model_int8.json").read_text())
    assert report["num_samples"] == 4
    assert report["input_dtype"] == "int8"


def test_train_writes_run_folder(digits_model):
    output_dir = digits_model.parent
    metrics = json.loads((output_dir / "metrics.json").read_text())

    for name in ("history.png", "metrics.json", "model.keras"):
        assert (output_dir / name).is_file(), name
    assert metrics["model"] == "squeezenet1_1"
    assert metrics["dataset"] == "digits"
    assert metrics["image_size"] == 32
    assert metrics["batch_size"] == 64
    assert metrics["seed"] == 1337


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_export_writes_tflite_and_report(digits_model, tmp_path, capsys, quantize):
    tflite_path = tmp_path / f"model_{quantize}.tflite"
    status, _, err = _run(["export", str(digits_model), "--quantize", quantize, "--output", str(tflite_path), "-q"], capsys)

    assert status == 0, err
    assert tflite_path.stat().st_size > 0
    report = json.loads(tflite_path.with_suffix(".json").read_text())
    assert report["quantize"] == quantize
    assert report["num_samples"] == 359
    assert "CONV_2D" in report["op_types"]
    assert 0.0 <= report["top1_agreement"] <= 1.0
    if quantize == "int8":
        # After one epoch the outputs are close to uniform, so argmax agreement is no useful check
        # here. The acceptance test checks it on a trained model.
        assert report["input_dtype"] == "int8"
        assert report["max_abs_error"] < 0.5
    else:
        assert report["input_dtype"] == "float32"
        assert report["max_abs_error"] <= 1e-4


def test_export_default_output_path(digits_model, capsys):
    status, _, err = _run(["export", str(digits_model), "--quantize", "dynamic", "-q"], capsys)

    assert status == 0, err
    assert (digits_model.parent / "model_dynamic.tflite").is_file()
    assert (digits_model.parent / "model_dynamic.json").is_file()


def test_export_int8_needs_dataset(digits_model, tmp_path, capsys):
    lone_model = tmp_path / "model.keras"
    shutil.copyfile(digits_model, lone_model)
    status, _, err = _run(["export", str(lone_model), "--quantize", "int8"], capsys)

    assert status == 2
    assert "--quantize int8 needs calibration images" in err
    assert "Pass --dataset digits or --dataset PATH" in err


def test_export_without_dataset_uses_random_images(digits_model, tmp_path, capsys, caplog):
    lone_model = tmp_path / "model.keras"
    shutil.copyfile(digits_model, lone_model)
    status, _, err = _run(["export", str(lone_model), "-q"], capsys)

    assert status == 0, err
    report = json.loads((tmp_path / "model_float32.json").read_text())
    assert report["num_samples"] == 64
    assert report["max_abs_error"] <= 1e-4
    assert "verified on 64 random images" in caplog.text


def test_export_image_size_disagrees_with_model(digits_model, capsys):
    status, _, err = _run(["export", str(digits_model), "--image-size", "64"], capsys)

    assert status == 2
    assert "takes 32x32 pixel inputs, but the image size is 64" in err


def test_export_missing_model_file(tmp_path, capsys):
    status, _, err = _run(["export", str(tmp_path / "missing.keras")], capsys)

    assert status == 2
    assert "kerascnn: error: Model file not found" in err


def test_export_rejects_non_keras_file(digits_model, capsys):
    status, _, err = _run(["export", str(digits_model.parent / "metrics.json")], capsys)

    assert status == 2
    assert "kerascnn: error: MODEL must be a .keras file" in err
    assert "metrics.json" in err


def test_export_rejects_folder(digits_model, capsys):
    status, _, err = _run(["export", str(digits_model.parent)], capsys)

    assert status == 2
    assert "kerascnn: error: MODEL must be a .keras file" in err


def test_export_dataset_class_count_mismatch(digits_model, tmp_path, capsys):
    for class_name in ("a", "b"):
        (tmp_path / class_name).mkdir()
        for index in range(5):
            Image.new("RGB", (8, 8), (index * 40, 0, 0)).save(tmp_path / class_name / f"{index}.png")
    status, _, err = _run(["export", str(digits_model), "--dataset", str(tmp_path), "--output", str(tmp_path / "m.tflite")], capsys)

    assert status == 2
    assert "has 10 outputs, but the dataset" in err
    assert "has 2 classes" in err
    assert not (tmp_path / "m.tflite").exists()


def test_export_files_follow_umask(digits_model, tmp_path, capsys):
    output = tmp_path / "umask.tflite"
    previous = os.umask(0o022)
    try:
        status, _, err = _run(["export", str(digits_model), "--output", str(output), "-q"], capsys)
    finally:
        os.umask(previous)

    assert status == 0, err
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    assert stat.S_IMODE(output.with_suffix(".json").stat().st_mode) == 0o644


def test_train_failure_creates_no_output_folder(tmp_path, capsys):
    output = tmp_path / "run"
    status, _, err = _run(["train", "--model", "squeezenet1_1", "--dataset", str(tmp_path / "missing"), "--output", str(output)], capsys)

    assert status == 2
    assert "Dataset folder not found" in err
    assert not output.exists()
