"""Argument checks shared by layers and model constructors.

Each check raises ValueError naming the argument, the value received and what is allowed, in the
keras.applications style that ends with "Received: name=value".
"""

import numbers


def check_positive_int(name, value):
    """Return ``value`` as int, raising ValueError unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def check_positive_number(name, value):
    """Return ``value`` as float, raising ValueError unless it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or value == float("inf"):
        raise ValueError(f"`{name}` must be a number greater than 0. Received: {name}={value!r}")
    return float(value)


def check_fraction(name, value, *, include_zero=False, include_one=True):
    """Return ``value`` as float, raising ValueError unless it lies in (0, 1] (bounds adjustable)."""
    low = "[0" if include_zero else "(0"
    high = "1]" if include_one else "1)"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        above_low = value >= 0 if include_zero else value > 0
        below_high = value <= 1 if include_one else value < 1
        ok = above_low and below_high
    if not ok:
        raise ValueError(f"`{name}` must be in the interval {low}, {high}. Received: {name}={value!r}")
    return float(value)


def check_choice(name, value, choices):
    """Return ``value``, raising ValueError unless it is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"`{name}` must be one of {allowed}. Received: {name}={value!r}")
    return value


def check_strides(name, value):
    """Return strides as an (int, int) pair; accepts an int or a pair of positive ints."""
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in pair)
    ):
        raise ValueError(
            f"`{name}` must be a positive integer or a pair of positive integers. Received: {name}={value!r}"
        )
    return (int(pair[0]), int(pair[1]))
