"""Model constructors and the registry of model names.

``get(name, **kwargs)`` builds a model by the name the CLI uses; ``names()`` lists them.
"""

from kerascnn.models.mobilenet import MobileNet
from kerascnn.models.mobilenet_v2 import MobileNetV2
from kerascnn.models.registry import entry, get, names
from kerascnn.models.squeezenet import SqueezeNet

__all__ = ["MobileNet", "MobileNetV2", "SqueezeNet", "entry", "get", "names"]
