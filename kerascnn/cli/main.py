"""Entry point of the ``kerascnn`` console script: ``kerascnn models | train | export``.

Results go to stdout (``models``) or to the log on stderr (``train``, ``export``). A user error,
meaning a ValueError or FileNotFoundError from the library or from an argument check, prints
one ``kerascnn: error: ...`` line and exits with status 2. Any other exception keeps its
traceback.
"""

import argparse
import logging
import sys

from kerascnn.cli import commands
from kerascnn.export.tflite import QUANTIZE_CHOICES
from kerascnn.training.recipes import FAMILY_RECIPES
from kerascnn.training.train import MAX_SEED

logger = logging.getLogger("kerascnn.cli")

PROGRAM = "kerascnn"
USAGE_ERROR_STATUS = 2
INTERRUPTED_STATUS = 130  # The shell's status for a process ended by SIGINT (128 + 2).
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
LOG_DATE_FORMAT = "%H:%M:%S"


def main(argv=None):
    """Run the ``kerascnn`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a usage or user error, 130 when interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        # argparse exits after --help (status 0) and on usage errors (status 2).
        return exit_request.code
    configure_logging(args.verbose)

    try:
        args.run(args)
    except (ValueError, FileNotFoundError) as error:
        logger.debug("Traceback of the error below:", exc_info=True)
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR_STATUS
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
    return 0


def configure_logging(verbose):
    """Send log records to stderr: INFO and above from kerascnn, DEBUG with ``verbose``.

    Other libraries log at WARNING and above. If the root logger has handlers already (under
    pytest, for example), ``basicConfig`` leaves them as they are.
    """
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, datefmt=LOG_DATE_FORMAT)
    logging.getLogger("kerascnn").setLevel(logging.DEBUG if verbose else logging.INFO)


def build_parser():
    """Return the argument parser of ``kerascnn`` and its subcommands."""
    # -v and -q are accepted both before and after the subcommand. Their SUPPRESS default in the
    # subcommand parsers keeps a subcommand from overwriting a value given before it.
    shared = argparse.ArgumentParser(add_help=False)
    _add_output_options(shared, default=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(prog=PROGRAM, description="Train classic CNNs and export them to TFLite.")
    _add_output_options(parser, default=False)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    models_parser = subparsers.add_parser(
        "models", parents=[shared], help="list the model names", description="List the model names."
    )
    models_parser.set_defaults(run=commands.run_models)

    _add_train_parser(subparsers, shared)
    _add_export_parser(subparsers, shared)
    return parser


def _add_output_options(parser, default):
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log DEBUG messages too")
    parser.add_argument("-q", "--quiet", action="store_true", default=default, help="hide the progress bars")


def _add_train_parser(subparsers, shared):
    parser = subparsers.add_parser(
        "train",
        parents=[shared],
        help="train a model from scratch",
        description=(
            "Train a model from scratch and write model.keras, metrics.json and history.png to the "
            "output folder."
        ),
    )
    parser.add_argument("--model", required=True, metavar="NAME", help="model name, see `kerascnn models`")
    parser.add_argument(
        "--alpha", type=_positive_float, metavar="A", help="width multiplier (MobileNet models only)"
    )
    parser.add_argument(
        "--rho",
        type=_positive_float,
        metavar="R",
        help=(
            "resolution multiplier (MobileNet models only): the input is round(224 * R) pixels "
            "square. --image-size must then be omitted or equal to it."
        ),
    )

    parser.add_argument(
        "--dataset",
        default="digits",
        metavar="digits|PATH",
        help=(
            "'digits' for the bundled UCI digits, or an image folder laid out as PATH/class_name/*.jpg|png "
            "(write ./digits for a folder of that name). Default: digits"
        ),
    )

    parser.add_argument("--epochs", type=_positive_int, default=30, metavar="N", help="training epochs. Default: 30")
    parser.add_argument(
        "--batch-size", type=_positive_int, default=32, metavar="B", help="images per training step. Default: 32"
    )
    parser.add_argument(
        "--image-size",
        type=_positive_int,
        metavar="S",
        help=f"input height and width in pixels. Default: round(224 * R) with --rho, else {commands.DEFAULT_IMAGE_SIZE}",
    )

    parser.add_argument(
        "--output", metavar="DIR", help="folder for model.keras, metrics.json and history.png. Default: runs/MODEL"
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=1337,
        help="seed of the weight initialization, the augmentation and the shuffle of the digits. The "
        "train/validation split and an image folder's shuffle use a fixed seed. Default: 1337",
    )
    parser.add_argument(
        "--no-augment", dest="augment", action="store_false", help="train without the random shifts of the training images"
    )
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        metavar="LR",
        help="peak learning rate after the warmup. Default: the model family's, "
        + ", ".join(f"{family} {recipe.learning_rate:g}" for family, recipe in FAMILY_RECIPES.items()),
    )
    parser.set_defaults(run=commands.run_train)


def _add_export_parser(subparsers, shared):
    parser = subparsers.add_parser(
        "export",
        parents=[shared],
        help="convert a trained model to TFLite and verify it",
        description=(
            "Convert a .keras model to TFLite with builtin ops only, compare it with the Keras model on "
            "the validation images, and write FILE.tflite and the report FILE.json. The dataset and image "
            "size default to those in the metrics.json beside the model."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help="the .keras file, such as runs/squeezenet1_1/model.keras")
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_CHOICES,
        default="none",
        help="none: float32; float16: float16 weights; dynamic: int8 weights; int8: int8 weights, "
        "activations, input and output, calibrated on training images. Default: none",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="the .tflite file to write. Default: MODEL's folder, named after MODEL and the quantization, "
        "such as model_int8.tflite",
    )
    parser.add_argument(
        "--dataset",
        metavar="digits|PATH",
        help="dataset for the calibration and validation images. Default: the one in metrics.json beside MODEL",
    )
    parser.add_argument(
        "--image-size",
        type=_positive_int,
        metavar="S",
        help="image size in pixels. Default: the one in metrics.json, else the model's input size",
    )
    parser.set_defaults(run=commands.run_export)


def _parse(text, convert, kind):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {kind}: {text!r}") from None


def _positive_int(text):
    value = _parse(text, int, "integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, received {text!r}")
    return value


def _positive_float(text):
    value = _parse(text, float, "number")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, received {text!r}")
    return value


def _seed(text):
    value = _parse(text, int, "integer")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], received {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
