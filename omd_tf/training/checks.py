"""Argument checks whose messages name the command-line flag.

The keyword arguments of `train_eval` and the flags of `bin/train_eval.py`
share their names, so one message serves both entry points.
"""

import numbers


class ConfigError(ValueError):
    """An invalid training argument; the message names its flag."""


def _fail(name, requirement, value):
    raise ConfigError(f"--{name} must be {requirement}, got {value!r}.")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name, value):
    if not _is_int(value) or value <= 0:
        _fail(name, "a positive integer", value)


def non_negative_int(name, value):
    if not _is_int(value) or value < 0:
        _fail(name, "a non-negative integer", value)


def positive_float(name, value):
    if not isinstance(value, numbers.Real) or not value > 0:
        _fail(name, "a positive number", value)


def in_interval(name, value, low, high, low_open=False):
    """low <= value <= high (low < value with ``low_open``)."""
    above = value > low if low_open else value >= low
    if not isinstance(value, numbers.Real) or not (above and value <= high):
        interval = f"{'(' if low_open else '['}{low}, {high}]"
        _fail(name, f"in {interval}", value)


def one_of(name, value, choices):
    if value not in choices:
        _fail(name, f"one of {', '.join(choices)}", value)
