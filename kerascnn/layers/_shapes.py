"""Output-shape arithmetic shared by the custom layers."""


def strided_same_output_shape(input_shape, strides, channels):
    """Return the NHWC output shape of a "same"-padded layer: each side divided by its stride, rounded up.

    Unknown (None) sides stay None.
    """
    batch, height, width, _ = input_shape
    height = None if height is None else -(-height // strides[0])
    width = None if width is None else -(-width // strides[1])
    return (batch, height, width, channels)
