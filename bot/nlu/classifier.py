"""The intent classifier: a linear model trained with scikit-learn, scored with numpy at parse time.

Training fits one of ``linear_svc``, ``logreg`` or ``sgd`` on TF-IDF rows and keeps only its weights
(``W``: features × intents) and biases. Scores become probabilities by a calibration fitted on
out-of-fold scores of the training data: ``temperature`` (softmax of scores / T, one parameter) or
``platt`` (a sigmoid per intent, renormalised — sklearn's CalibratedClassifierCV "sigmoid").
Parse time needs numpy only: no sklearn import, no unpickling.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LinearIntentModel:
    weights: np.ndarray  # (n_features, n_intents) float32
    bias: np.ndarray  # (n_intents,)
    calibration: str  # "temperature" | "platt"
    temperature: float = 1.0
    platt: np.ndarray | None = None  # (n_intents, 2): p = 1 / (1 + exp(a * score + b))

    def scores(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values @ self.weights[columns] + self.bias

    def batch_scores(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores of many documents with one gather: sum of value × weight rows per document."""
        lengths = np.array([len(c) for c, _ in rows])
        result = np.tile(self.bias, (len(rows), 1)).astype(np.float32)
        if lengths.sum() == 0:
            return result
        columns = np.concatenate([c for c, _ in rows])
        values = np.concatenate([v for _, v in rows])
        contributions = values[:, None] * self.weights[columns]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        nonempty = lengths > 0
        result[nonempty] += np.add.reduceat(contributions, starts[nonempty], axis=0)
        return result

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for a (n_intents,) or (n_docs, n_intents) score array."""
        if self.calibration == "platt":
            a, b = self.platt[:, 0], self.platt[:, 1]
            p = 1.0 / (1.0 + np.exp(np.clip(a * scores + b, -50, 50)))
            return p / np.maximum(p.sum(axis=-1, keepdims=True), 1e-12)
        z = scores / self.temperature
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def make_estimator(kind: str, c: float, seed: int = 0):
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    if kind == "linear_svc":
        return LinearSVC(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    if kind == "logreg":
        return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    if kind == "sgd":
        return SGDClassifier(
            loss="modified_huber",
            alpha=1e-4 / c,
            class_weight="balanced",
            max_iter=50,
            tol=None,
            random_state=seed,
        )
    raise ValueError(f"unknown classifier {kind!r} (linear_svc, logreg, sgd)")


def fit_linear(
    X, y: np.ndarray, n_intents: int, *, kind: str, c: float, calibration: str, seed: int = 0
) -> LinearIntentModel:
    """Fit on all rows, then the calibration on out-of-fold scores."""
    weights, bias = _fit_weights(X, y, n_intents, kind, c, seed)
    model = LinearIntentModel(weights, bias, calibration)
    folds = _calibration_folds(y)
    if folds < 2:
        log.info("too few examples per intent to calibrate; using raw softmax")
        model.calibration = "temperature"
        return model
    held_out = _out_of_fold_scores(X, y, n_intents, kind, c, seed, folds)
    if calibration == "platt":
        model.platt = _fit_platt(held_out, y)
    else:
        model.temperature = _fit_temperature(held_out, y)
    return model


def _fit_weights(X, y, n_intents, kind, c, seed) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.exceptions import ConvergenceWarning

    estimator = make_estimator(kind, c, seed)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", ConvergenceWarning
        )  # the iteration cap is a time budget, logged below
        estimator.fit(X, y)
    coef, intercept = np.asarray(estimator.coef_), np.asarray(estimator.intercept_)
    weights = np.zeros((X.shape[1], n_intents), dtype=np.float32)
    bias = np.zeros(n_intents, dtype=np.float32)
    classes = list(estimator.classes_)
    if len(classes) == 2 and coef.shape[0] == 1:  # binary: sklearn keeps one row for the positive class
        weights[:, classes[1]], bias[classes[1]] = coef[0] / 2, intercept[0] / 2
        weights[:, classes[0]], bias[classes[0]] = -coef[0] / 2, -intercept[0] / 2
    else:
        for row, cls in enumerate(classes):
            weights[:, cls], bias[cls] = coef[row], intercept[row]
    return weights, bias


def _calibration_folds(y: np.ndarray) -> int:
    return int(min(3, np.bincount(y)[np.bincount(y) > 0].min()))  # one temperature needs few folds


def _out_of_fold_scores(X, y, n_intents, kind, c, seed, folds) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros((X.shape[0], n_intents), dtype=np.float32)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(np.zeros(len(y)), y):
        if len(np.unique(y[train_rows])) < 2:
            continue
        weights, bias = _fit_weights(X[train_rows], y[train_rows], n_intents, kind, c, seed)
        scores[test_rows] = X[test_rows] @ weights + bias
    return scores


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The T minimising the negative log-likelihood of softmax(scores / T), by a log-spaced grid search."""
    candidates = np.exp(np.linspace(np.log(0.01), np.log(10.0), 121))
    rows = np.arange(len(y))

    def nll(t: float) -> float:
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[rows, y] - np.log(np.exp(z).sum(axis=1))).mean())

    return float(min(candidates, key=nll))


def _fit_platt(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-intent sigmoid on one-vs-rest scores (a logistic regression on one feature)."""
    from sklearn.linear_model import LogisticRegression

    params = np.zeros((scores.shape[1], 2), dtype=np.float64)
    for k in range(scores.shape[1]):
        target = (y == k).astype(int)
        if target.min() == target.max():
            params[k] = (-1.0, 0.0)
            continue
        fit = LogisticRegression(C=1e4).fit(scores[:, k : k + 1], target)
        params[k] = (-fit.coef_[0, 0], -fit.intercept_[0])
    return params
