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

from .api import Tagger
from .errors import DataError, InputError, ModelFormatError, ModelNotFoundError, TaggerError
from .normalize import normalize
from .prediction import Prediction
from .train import TrainResult, train
