"""Classic CNN architectures for Keras 3 and TensorFlow.

Every constructor follows the keras.applications signature, so
``kerascnn.SqueezeNet(input_shape=(64, 64, 3), classes=10)`` builds a model that trains with
``model.fit``, saves to ``.keras`` and converts to TFLite with builtin ops only.
"""

from kerascnn._backend import require_tensorflow

require_tensorflow()

from kerascnn import datasets, layers, models  # noqa: E402
from kerascnn.models import MobileNet, MobileNetV2, SqueezeNet  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "MobileNet",
    "MobileNetV2",
    "SqueezeNet",
    "datasets",
    "layers",
    "models",
]
