"""TFLite conversion with builtin ops only, quantization, and verification against Keras.

Public API (implemented in ``kerascnn.export.tflite``):

- ``QUANTIZE_CHOICES = ("none", "float16", "dynamic", "int8")``
- ``convert(model, quantize="none", representative_images=None) -> bytes``
- ``op_types(tflite_model) -> list[str]``
- ``verify(tflite_model, model, images, batch_size=64, progress=None) -> dict``
- ``export_tflite(model, output_path, quantize="none", representative_images=None,
  validation_images=None, progress=None) -> dict`` writes ``output_path`` and the report as
  ``output_path`` with the suffix ".json".
"""

from kerascnn.export.tflite import QUANTIZE_CHOICES, convert, export_tflite, op_types, verify

__all__ = ["QUANTIZE_CHOICES", "convert", "export_tflite", "op_types", "verify"]
