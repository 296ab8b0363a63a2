"""Persian NLU with Rasa's formats: train from Rasa YAML, parse into Rasa's result, evaluate like ``rasa test nlu``.

The whole public API::

    from bot.nlu import train, load_model, evaluate, cross_validate, NluModel, ModelError, DataError

    result = train("nlu_data", "models/nlu")        # -> TrainResult(model_dir, model, examples, intents, …)
    model = load_model("models/nlu")                 # -> NluModel; ModelError: missing/corrupt/other version
    model.parse("سفارش ۱۲۳۴۵۶۷۸ کجاست؟")               # -> {"text", "intent", "entities", "intent_ranking"}
    model.parse_batch(["سلام", "مرسی"])               # -> [parse result, …] in the same order
    evaluate(model, "tests/data/nlu.yml", out_dir)   # -> summary dict; writes Rasa's report files
    cross_validate("nlu_data", folds=5, out_dir=…)   # -> the same, over k train/test folds

Errors are :class:`DataError` (training data; names file and line) and :class:`ModelError` (model
directory); both subclass :class:`NluError` and read as one line. ``parse`` never raises. Parsing
imports numpy and bot.text only; training and evaluation import scikit-learn on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.nlu.errors import DataError, ModelError, NluError
from bot.nlu.loading import load_model
from bot.nlu.model import NluModel

if TYPE_CHECKING:
    from bot.nlu.training import TrainResult

__all__ = [
    "DataError",
    "ModelError",
    "NluError",
    "NluModel",
    "TrainResult",
    "cross_validate",
    "evaluate",
    "load_model",
    "train",
]


def train(data_path: Any = "nlu_data", out_dir: Any = "models/nlu", **kwargs: Any) -> TrainResult:
    """Train on Rasa NLU data (file or directory) and write the model directory; see :mod:`bot.nlu.training`."""
    from bot.nlu.training import train as _train

    return _train(data_path, out_dir, **kwargs)


def evaluate(model: NluModel, data_path: Any, out_dir: Any = None) -> dict[str, Any]:
    """Evaluate a model on Rasa NLU data; with ``out_dir``, write Rasa's report files there."""
    from bot.nlu.evaluation import evaluate as _evaluate

    return _evaluate(model, data_path, out_dir)


def cross_validate(data_path: Any, *, folds: int = 5, out_dir: Any = None, **kwargs: Any) -> dict[str, Any]:
    """k-fold cross-validation (stratified, shuffled, fixed seed) with the same reports as ``evaluate``."""
    from bot.nlu.evaluation import cross_validate as _cross_validate

    return _cross_validate(data_path, folds=folds, out_dir=out_dir, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "TrainResult":
        from bot.nlu.training import TrainResult

        return TrainResult
    raise AttributeError(name)
