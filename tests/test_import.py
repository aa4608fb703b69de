"""Tests of the TensorFlow and Keras checks that run when kerascnn is imported.

Each import runs in a fresh Python process, because this process has TensorFlow loaded already.
"""

import importlib.machinery
import subprocess
import sys
import types

import keras
import pytest

from kerascnn import _backend

# Prints the ImportError that ``import kerascnn`` raises, or IMPORTED if there is none. The
# placeholder is replaced by statements that break the environment first.
IMPORT_SCRIPT = """
import sys
{setup}
try:
    import kerascnn
except ImportError as error:
    print(f"ImportError: {{error}}")
else:
    print("IMPORTED")
"""

HIDE_TENSORFLOW = 'sys.modules["tensorflow"] = None'

# Drops the directory that contains TensorFlow from sys.path, as for a Python environment that
# never had it installed: importlib then finds no spec for it.
DROP_TENSORFLOW_PATH = """
import importlib.util
import os

spec = importlib.util.find_spec("tensorflow")
site_directory = os.path.dirname(os.path.dirname(spec.origin))
sys.path[:] = [path for path in sys.path if os.path.abspath(path) != os.path.abspath(site_directory)]
"""

# A stand-in TensorFlow module that reports an old version.
OLD_TENSORFLOW = """
import importlib.machinery
import types

old = types.ModuleType("tensorflow")
old.__version__ = "2.15.1"
old.__spec__ = importlib.machinery.ModuleSpec("tensorflow", None)
sys.modules["tensorflow"] = old
"""


def _run_import(setup, environment):
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT.format(setup=setup)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed.stdout.strip().splitlines()[-1]


def test_import_without_tensorflow_names_packages(subprocess_environment):
    message = _run_import(HIDE_TENSORFLOW, subprocess_environment)

    assert message.startswith("ImportError: kerascnn needs TensorFlow 2.16 or newer, which is not installed.")
    assert "`pip install tensorflow-cpu`" in message
    assert "`pip install 'tensorflow[and-cuda]'`" in message
    assert "`pip install -e '.[cpu]'`" in message
    assert "`pip install -e '.[gpu]'`" in message


def test_import_without_tensorflow_on_path_names_packages(subprocess_environment):
    message = _run_import(DROP_TENSORFLOW_PATH, subprocess_environment)

    assert message.startswith("ImportError: kerascnn needs TensorFlow 2.16 or newer, which is not installed.")
    assert "pip install tensorflow-cpu on a machine without a GPU" in message.replace("`", "")


def test_import_with_old_tensorflow_names_version(subprocess_environment):
    message = _run_import(OLD_TENSORFLOW, subprocess_environment)

    assert message.startswith("ImportError: kerascnn needs TensorFlow 2.16 or newer (with Keras 3)")
    assert "found TensorFlow 2.15.1" in message
    assert "pip install tensorflow-cpu" in message


def test_import_with_tensorflow_succeeds(subprocess_environment):
    assert _run_import("", subprocess_environment) == "IMPORTED"


def test_require_tensorflow_accepts_current_install():
    assert _backend.require_tensorflow() is None


def test_require_tensorflow_without_tensorflow_raises(monkeypatch):
    monkeypatch.setattr(_backend.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(ImportError, match=r"`pip install tensorflow-cpu` on a machine without a GPU"):
        _backend.require_tensorflow()


def test_require_tensorflow_rejects_old_version(monkeypatch):
    old = types.ModuleType("tensorflow")
    old.__version__ = "2.12.0"
    old.__spec__ = importlib.machinery.ModuleSpec("tensorflow", None)
    monkeypatch.setitem(sys.modules, "tensorflow", old)

    with pytest.raises(ImportError, match=r"found TensorFlow 2\.12\.0"):
        _backend.require_tensorflow()


def test_import_with_jax_backend_names_variable(subprocess_environment):
    environment = dict(subprocess_environment, KERAS_BACKEND="jax")

    message = _run_import("", environment)

    assert message == (
        "ImportError: kerascnn runs on the TensorFlow backend of Keras, but KERAS_BACKEND is 'jax'. "
        "Set KERAS_BACKEND=tensorflow (or unset it) before importing kerascnn."
    )


def test_require_tensorflow_rejects_configured_backend(monkeypatch):
    # A backend chosen in ~/.keras/keras.json passes the KERAS_BACKEND check, so the check
    # after importing Keras must catch it. JAX is not installed, so the name is replaced.
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")

    with pytest.raises(ImportError, match=r"Keras is configured for 'jax' \(in ~/\.keras/keras\.json\)"):
        _backend.require_tensorflow()


@pytest.mark.parametrize(
    "version, expected",
    [("2.21.0", (2, 21)), ("2.16.0rc1", (2, 16)), ("2.9.3", (2, 9)), ("3.0", (3, 0)), ("2.dev", (2, 0))],
)
def test_version_tuple_parses_major_minor(version, expected):
    assert _backend._version_tuple(version) == expected
