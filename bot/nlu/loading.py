"""``load_model``: a model directory → :class:`NluModel`, or one clear :class:`ModelError`."""

from __future__ import annotations

from pathlib import Path

from bot.nlu.artefact import load_parts
from bot.nlu.errors import ModelError
from bot.nlu.model import NluModel


def load_model(model_dir: str | Path = "models/nlu") -> NluModel:
    """Load a trained model; raises :class:`ModelError` (missing, corrupt, other format version)."""
    parts = load_parts(model_dir)
    tagger = None
    if parts["crf_file"] is not None:
        from bot.nlu.crf import CrfTagger

        try:
            tagger = CrfTagger(parts["crf_file"])
        except (OSError, ValueError) as exc:
            raise ModelError(f"{model_dir}: corrupt model: crf.crfsuite cannot be opened ({exc})") from None
    return NluModel(
        config=parts["config"],
        intents=parts["intents"],
        vocabulary=parts["vocabulary"],
        classifier=parts["classifier"],
        tables=parts["tables"],
        crf_tagger=tagger,
        manifest=parts["manifest"],
    )
