"""Exceptions for mistakes a user can fix. The CLI prints them as one line, no traceback.

``InputError`` and its subclasses are usage or input problems (CLI exit code 2); any
other ``TaggerError`` is a failure of another kind (exit code 1).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

__all__ = [
    "check_integer",
    "TaggerError",
    "InputError",
    "DataError",
    "ModelNotFoundError",
    "ModelFormatError",
    "OutputExistsError",
]


class TaggerError(Exception):
    """Base class of every error ``tagger`` reports to its user."""


class InputError(TaggerError, ValueError):
    """Bad input from the user: a file, an option, a text (exit code 2)."""


class DataError(InputError):
    """Training or evaluation data that cannot be used (missing column, one class ...)."""


class ModelNotFoundError(InputError, FileNotFoundError):
    """A model directory that does not exist or holds no model."""


class ModelFormatError(TaggerError):
    """A model directory that is corrupted, tampered with or of an unsupported version."""


class OutputExistsError(InputError, FileExistsError):
    """An output that already exists and would be overwritten without ``--force``."""


def check_integer(name: str, value: Any, least: int) -> None:
    """Raise an :class:`InputError` unless ``value`` is an integer (Python's or numpy's, not
    a bool) of at least ``least``: the check of every count-like option."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
        raise InputError(f"{name} must be an integer of at least {least}, got {value!r}")
