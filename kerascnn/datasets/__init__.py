"""Datasets: the bundled UCI digits and image folders (``root/class_name/*.jpg|png``)."""

from kerascnn.datasets.digits import CLASS_NAMES as DIGITS_CLASS_NAMES
from kerascnn.datasets.digits import load_digits
from kerascnn.datasets.folder import load_image_folder

__all__ = ["DIGITS_CLASS_NAMES", "load_digits", "load_image_folder"]
