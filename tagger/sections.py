"""The section classifier: hashed TF-IDF n-grams and a linear model with softmax scores.

Training uses scikit-learn; the fitted state is just arrays (idf, coefficients,
intercepts, class names), so prediction is a sparse matrix product that tagger
computes itself and a saved model never needs pickle.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

from .errors import DataError, ModelFormatError
from .features import FeatureConfig, Featurizer

__all__ = ["SectionModel"]

log = logging.getLogger(__name__)

# Words hashed at save time and again at load time: if scikit-learn ever hashed n-grams
# differently, the indices would differ and the model's coefficients would be meaningless.
_PROBE = ["السياسة", "الاقتصاد", "كرة", "news"]

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


class SectionModel:
    """Predicts a section from text, with scores that sum to 1.

    ``C`` is the inverse regularisation strength of the linear SVM. ``class_weight``
    "balanced" weighs sections inversely to their frequency: when sections come from
    different corpora (religion and health only from SANAD here), it keeps the largest
    section from absorbing articles in an unfamiliar style. ``calibration`` is
    the share of the training rows held out to fit the softmax temperature that turns
    SVM margins into scores (the model is then refitted on all rows).

    >>> m = SectionModel(FeatureConfig(char_bits=14, word_bits=12))
    >>> m = m.fit(["فاز الفريق بالمباراة", "ارتفع سعر النفط"] * 10, ["sports", "economy"] * 10)
    >>> m.predict(["الفريق فاز"])[0]
    'sports'
    """

    def __init__(self, features: FeatureConfig | None = None, C: float = 0.5,
                 class_weight: str | None = "balanced", calibration: float = 0.1, seed: int = 0,
                 batch_size: int = 2000):
        self.features = features
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.seed = seed
        self.batch_size = batch_size

    # -- training -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str],
            progress: Progress = _no_progress) -> "SectionModel":
        if len(texts) != len(labels):
            raise DataError(f"got {len(texts)} texts and {len(labels)} labels")
        if not 0 <= self.calibration < 0.5:
            raise ValueError(f"calibration must be in [0, 0.5), got {self.calibration}")
        if self.C <= 0:
            raise ValueError(f"C must be positive, got {self.C}")
        y = np.asarray(labels, dtype=str)
        classes = np.unique(y)
        if len(classes) < 2:
            raise DataError(f"need at least two sections to train, found {len(classes)}")
        self.featurizer_ = Featurizer(self.features or FeatureConfig())
        counts = self._counts(texts, progress, "features")
        self.featurizer_.fit_counts(counts)
        x = self.featurizer_.weight(counts)
        del counts

        self.temperature_ = 1.0
        if self.calibration > 0 and len(y) >= 20:
            fit_idx, cal_idx = _stratified_split(y, self.calibration, self.seed)
            if len(np.unique(y[fit_idx])) == len(classes):
                progress("calibrating", 0, 1)
                svm = self._svm().fit(x[fit_idx], y[fit_idx])
                scores = _as_2d(svm.decision_function(x[cal_idx]))
                self.temperature_ = _fit_temperature(scores, np.searchsorted(classes, y[cal_idx]))
                progress("calibrating", 1, 1)
        progress("fitting", 0, 1)
        svm = self._svm().fit(x, y)
        progress("fitting", 1, 1)
        coef = svm.coef_.astype(np.float32)
        intercept = svm.intercept_.astype(np.float32)
        if len(classes) == 2:  # a binary SVM has one hyperplane; make it one row per class
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        self.classes_ = [str(c) for c in svm.classes_]
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def _svm(self):
        from sklearn.svm import LinearSVC

        return LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.seed)

    def _counts(self, texts: Sequence[str], progress: Progress, stage: str) -> sp.csr_matrix:
        blocks = []
        total = len(texts)
        for start in range(0, total, self.batch_size):
            blocks.append(self.featurizer_.counts(texts[start:start + self.batch_size]))
            progress(stage, min(start + self.batch_size, total), total)
        return sp.vstack(blocks, format="csr") if blocks else None

    # -- prediction -----------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this SectionModel is not fitted yet: call fit() or load a model")

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        x = self.featurizer_.transform(texts)
        return np.asarray(x @ self.coef_.T) + self.intercept_

    def predict_proba(self, texts: Sequence[str], return_counts: bool = False):
        """Scores per section (columns follow ``classes_``), summing to 1 per row.

        With ``return_counts`` also returns how many Arabic words each text had.
        """
        self._check_fitted()
        counts, n_arabic = self.featurizer_.counts(texts, return_arabic=True)
        scores = np.asarray(self.featurizer_.weight(counts) @ self.coef_.T) + self.intercept_
        proba = softmax(scores * self.temperature_, axis=1)
        return (proba, n_arabic) if return_counts else proba

    def predict(self, texts: Sequence[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        self._check_fitted()
        config = {
            "features": self.featurizer_.config.to_dict(),
            "C": self.C,
            "class_weight": self.class_weight,
            "calibration": self.calibration,
            "seed": self.seed,
            "temperature": float(self.temperature_),
            "probe": _probe(self.featurizer_),
        }
        arrays = {
            "classes": np.array(self.classes_, dtype=str),
            "coef": self.coef_.astype(np.float16),
            "intercept": self.intercept_.astype(np.float32),
            "idf": self.featurizer_.idf_.astype(np.float16),
        }
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> "SectionModel":
        try:
            features = FeatureConfig(**config["features"])
            model = cls(features, C=float(config["C"]), class_weight=config.get("class_weight"),
                        calibration=float(config["calibration"]), seed=int(config["seed"]))
            model.temperature_ = float(config["temperature"])
            model.classes_ = [str(c) for c in arrays["classes"]]
            model.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
            model.intercept_ = np.asarray(arrays["intercept"], dtype=np.float32)
            idf = np.asarray(arrays["idf"], dtype=np.float32)
            probe = config["probe"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"the section model's description is incomplete ({exc!r}); "
                                   "retrain the model") from exc
        n_classes, n_features = len(model.classes_), features.n_features
        if (model.coef_.shape != (n_classes, n_features) or model.intercept_.shape != (n_classes,)
                or idf.shape != (n_features,)):
            raise ModelFormatError("the section model's arrays do not match its description; "
                                   "the model is corrupted, retrain it")
        model.featurizer_ = Featurizer(features)
        model.featurizer_.idf_ = idf
        if _probe(model.featurizer_) != probe:
            raise ModelFormatError(
                "this scikit-learn hashes n-grams differently from the one that trained the model; "
                "retrain it with 'tagger train' or install the scikit-learn version named in meta.json")
        return model


def _probe(featurizer: Featurizer) -> list[list[int]]:
    counts = featurizer.counts(_PROBE)
    return [sorted(map(int, counts[i].indices))[:8] for i in range(counts.shape[0])]


def _as_2d(scores: np.ndarray) -> np.ndarray:
    if scores.ndim == 1:  # binary SVM: one margin, positive for classes_[1]
        return np.column_stack([-scores / 2, scores / 2])
    return scores


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises log loss of ``scores`` on held-out rows."""
    def nll(log_t: float) -> float:
        return -log_softmax(scores * np.exp(log_t), axis=1)[np.arange(len(y)), y].mean()

    result = minimize_scalar(nll, bounds=(-3.0, 5.0), method="bounded")
    return float(np.exp(result.x))


def _stratified_split(y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    return train_test_split(idx, test_size=share, random_state=seed, stratify=stratify)
