"""Checks that TensorFlow and a TensorFlow-backed Keras 3 are importable."""

import importlib.util
import os

MIN_TENSORFLOW = (2, 16)

_INSTALL_HINT = (
    "Install it with `pip install tensorflow-cpu` on a machine without a GPU, or "
    "`pip install 'tensorflow[and-cuda]'` on a Linux machine with an NVIDIA GPU; from a kerascnn "
    "checkout, `pip install -e '.[cpu]'` or `pip install -e '.[gpu]'` does the same."
)


def _version_tuple(version):
    parts = []
    for part in version.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def require_tensorflow():
    """Raise ImportError with an install hint unless TensorFlow >= 2.16 backs Keras 3."""
    if importlib.util.find_spec("tensorflow") is None:
        raise ImportError(f"kerascnn needs TensorFlow 2.16 or newer, which is not installed. {_INSTALL_HINT}")

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        raise ImportError(
            f"kerascnn runs on the TensorFlow backend of Keras, but KERAS_BACKEND is {backend!r}. "
            "Set KERAS_BACKEND=tensorflow (or unset it) before importing kerascnn."
        )

    import tensorflow as tf

    if _version_tuple(tf.__version__) < MIN_TENSORFLOW:
        raise ImportError(
            f"kerascnn needs TensorFlow 2.16 or newer (with Keras 3); found TensorFlow {tf.__version__}. "
            f"{_INSTALL_HINT}"
        )

    import keras

    if int(keras.__version__.split(".")[0]) < 3:
        raise ImportError(
            f"kerascnn needs Keras 3; found Keras {keras.__version__}. Run `pip install 'keras>=3.3'`."
        )
    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            f"kerascnn runs on the TensorFlow backend of Keras, but Keras is configured for "
            f"{keras.backend.backend()!r} (in ~/.keras/keras.json). "
            "Set KERAS_BACKEND=tensorflow before importing kerascnn."
        )
