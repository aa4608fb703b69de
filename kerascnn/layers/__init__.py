"""Custom Keras layers of kerascnn, one concept per module.

Every layer is registered for ``.keras`` saving under the package name "kerascnn", so saved
models load without ``custom_objects``.
"""

from kerascnn.layers.fire import FireModule
from kerascnn.layers.inverted_residual import InvertedResidual
from kerascnn.layers.pooling import CeilMaxPooling2D
from kerascnn.layers.separable import DepthwiseSeparableConv

__all__ = ["CeilMaxPooling2D", "DepthwiseSeparableConv", "FireModule", "InvertedResidual"]
