"""Train an NLU model from Rasa training data: features, intent classifier, tables, CRF."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.nlu import crf
from bot.nlu.artefact import save_model
from bot.nlu.classifier import fit_linear
from bot.nlu.data import TrainingData, load_training_data
from bot.nlu.features import Vocabulary
from bot.nlu.model import NluModel, analyse
from bot.nlu.pipeline import DEFAULT, PipelineConfig
from bot.nlu.tables import EntityTables
from bot.nlu.tokens import tokenize
from bot.text.entities import PATTERN_ENTITIES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainResult:
    model_dir: Path
    model: NluModel
    examples: int
    intents: list[str]
    crf_entities: list[str]  # entity types the CRF learned (empty: no CRF)
    seconds: float


def train(
    data_path: str | Path = "nlu_data",
    out_dir: str | Path = "models/nlu",
    *,
    config: PipelineConfig = DEFAULT,
) -> TrainResult:
    """Train on a Rasa NLU file or directory and write the model to ``out_dir``.

    Raises :class:`bot.nlu.DataError` for unusable data and :class:`bot.nlu.ModelError` when
    ``out_dir`` exists and is not a model directory.
    """
    started = time.perf_counter()
    data = load_training_data(data_path)
    with tempfile.TemporaryDirectory(prefix="pishkhan-crf-") as scratch:
        parts = fit_parts(data, config, Path(scratch))
        training = {"sha256": data.fingerprint(), "examples": len(data.examples), "source": str(data_path)}
        save_model(
            Path(out_dir),
            config=config,
            intents=parts["intents"],
            vocabulary=parts["vocabulary"],
            classifier=parts["classifier"],
            tables=parts["tables"],
            crf_file=parts["crf_file"],
            training=training,
        )
    from bot.nlu.loading import load_model

    model = load_model(out_dir)
    seconds = time.perf_counter() - started
    log.info(
        "trained on %d examples, %d intents in %.1f s", len(data.examples), len(parts["intents"]), seconds
    )
    return TrainResult(
        Path(out_dir), model, len(data.examples), parts["intents"], parts["crf_entities"], seconds
    )


def fit_in_memory(data: TrainingData, config: PipelineConfig, scratch: Path) -> NluModel:
    """A model that lives in memory (its CRF file under ``scratch``): cross-validation folds."""
    scratch.mkdir(parents=True, exist_ok=True)
    parts = fit_parts(data, config, scratch)
    tagger = crf.CrfTagger(parts["crf_file"]) if parts["crf_file"] else None
    return NluModel(
        config=config,
        intents=parts["intents"],
        vocabulary=parts["vocabulary"],
        classifier=parts["classifier"],
        tables=parts["tables"],
        crf_tagger=tagger,
        manifest={"pipeline": config.to_dict(), "intents": parts["intents"]},
    )


def fit_parts(data: TrainingData, config: PipelineConfig, scratch: Path) -> dict:
    intents = data.intents
    tables = EntityTables(data.synonyms, data.regexes, data.lookups, data.entity_types)
    analyses = [analyse(e.text, config, tables) for e in data.examples]
    vocabulary = Vocabulary.fit(
        [a.counts for a in analyses], min_df=config.features.min_df, sublinear_tf=config.features.sublinear_tf
    )
    X = vocabulary.matrix([a.counts for a in analyses])
    y = np.array([intents.index(e.intent) for e in data.examples])
    classifier = fit_linear(
        X,
        y,
        len(intents),
        kind=config.classifier,
        c=config.c,
        calibration=config.calibration,
        seed=config.seed,
    )
    crf_entities = sorted(set(data.entity_types) - set(PATTERN_ENTITIES))
    crf_file = _fit_crf(data, analyses, crf_entities, scratch / "crf.crfsuite") if crf_entities else None
    return {
        "intents": intents,
        "tables": tables,
        "vocabulary": vocabulary,
        "classifier": classifier,
        "crf_file": crf_file,
        "crf_entities": crf_entities,
    }


def _fit_crf(data: TrainingData, analyses, crf_entities: list[str], path: Path) -> Path | None:
    sequences, labels = [], []
    for example, analysis in zip(data.examples, analyses, strict=True):
        normalized = analysis.normalized
        tokens = tokenize(normalized.text)[: crf.MAX_TOKENS]
        if not tokens:
            continue
        spans = crf.table_spans(analysis.tables) + [
            (m.entity, *normalized.original_span(m.start, m.end)) for m in analysis.patterns
        ]
        gold = [(s.entity, s.start, s.end) for s in example.entities if s.entity in crf_entities]
        sequences.append(
            crf.sequence_features([t.text for t in tokens], crf.token_tags(normalized, tokens, spans))
        )
        labels.append(crf.bio_labels(normalized, tokens, gold))
    if not any(label != crf.OUTSIDE for row in labels for label in row):
        return None
    crf.train_crf(sequences, labels, path)
    return path
