"""tagger: section and keyword tagging for Arabic news articles.

>>> from tagger import Tagger
>>> Tagger.load().predict("ارتفعت أسعار النفط في الأسواق العالمية").section
'economy'
"""

__all__ = [
    "Tagger",
    "Prediction",
    "train",
    "TrainResult",
    "normalize",
    "TaggerError",
    "InputError",
    "DataError",
    "ModelNotFoundError",
    "ModelFormatError",
    "__version__",
]

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tagger")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

import sys as _sys
import types as _types

from .errors import DataError, InputError, ModelFormatError, ModelNotFoundError, TaggerError
from .normalize import normalize
from .prediction import Prediction

# ``Tagger`` and ``train`` pull in scikit-learn: they are imported on first use, so that the
# command line starts fast and reports a mistake in its input without loading it first.
_LAZY = {"Tagger": ".api", "train": ".train", "TrainResult": ".train"}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})


class _Package(_types.ModuleType):
    """Keeps ``tagger.train`` and ``tagger.normalize`` the functions, as an eager import would.

    Importing a submodule sets it as an attribute of its package; the functions of the same
    name, not the modules, are the public API.
    """

    def __setattr__(self, name, value):
        if name in ("train", "normalize") and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
