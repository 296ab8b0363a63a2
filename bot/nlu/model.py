"""A loaded NLU model: ``parse`` a message into Rasa's parse result.

Shape (``POST /model/parse``): ``{"text", "intent": {"name", "confidence"}, "entities": [{"entity",
"value", "start", "end", "confidence", "extractor"}], "intent_ranking": [top 10 {"name", "confidence"}]}``
with ``text`` the message as received and ``start``/``end`` indexing it.

Edge cases, following Rasa: an empty message — or one of only spaces and invisible marks — gets ``intent`` ``{"name": null,
"confidence": 0.0}`` and empty entities and ranking (Rasa's interpreter returns that for empty text).
Below the fallback threshold the intent is ``nlu_fallback`` with the threshold as its confidence and it
is also put first in the ranking (Rasa 3's FallbackClassifier). Anything else — emoji only, 10,000
characters, a non-string — is parsed; ``parse`` never raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.nlu import crf
from bot.nlu.classifier import LinearIntentModel
from bot.nlu.features import Vocabulary, count_features, feature_words
from bot.nlu.pipeline import FALLBACK_INTENT, PipelineConfig
from bot.nlu.tables import EXTRACTOR as REGEX_EXTRACTOR
from bot.nlu.tables import EntityTables, TableMatch
from bot.nlu.tokens import tokenize
from bot.text.entities import PatternMatch, find_pattern_entities, to_rasa_entity
from bot.text.normalize import NormalizedText, normalize

log = logging.getLogger(__name__)
RANKING_SIZE = 10


@dataclass(slots=True)
class _Analysis:
    normalized: NormalizedText
    patterns: list[PatternMatch]
    tables: list[TableMatch]
    counts: Any


def analyse(text: str, config: PipelineConfig, tables: EntityTables) -> _Analysis:
    """Normalise, find pattern entities and table matches, count features: shared by training and parsing."""
    normalized = normalize(text)
    patterns = find_pattern_entities(normalized)
    table_matches: list[TableMatch] = []
    if tables.regexes or tables.lookups:
        # Table entities are searched in the whole message; table features need only its opening.
        limit = None if tables.entity_names else config.features.max_chars
        table_matches = tables.find(normalized, tokenize(normalized.text[:limit]), limit)
    words = feature_words(normalized.text, patterns, config.features)
    counts = count_features(words, config.features, sorted({m.name for m in table_matches}))
    return _Analysis(normalized, patterns, table_matches, counts)


class NluModel:
    """Parses messages; build with :func:`bot.nlu.load_model` (or ``bot.nlu.training``)."""

    def __init__(
        self,
        *,
        config: PipelineConfig,
        intents: list[str],
        vocabulary: Vocabulary,
        classifier: LinearIntentModel,
        tables: EntityTables,
        crf_tagger: crf.CrfTagger | None,
        manifest: dict[str, Any],
    ) -> None:
        self.config = config
        self.intents = intents
        self.vocabulary = vocabulary
        self.classifier = classifier
        self.tables = tables
        self.crf = crf_tagger
        self.manifest = manifest

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse result for one message; never raises (a failure is logged and gives no intent)."""
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        """Parse many messages at once (one vectorised scoring); same results as ``parse`` one by one."""
        texts = [_as_text(t) for t in texts]
        results: list[dict[str, Any] | None] = [None] * len(texts)
        pending: list[tuple[int, _Analysis, list[dict[str, Any]]]] = []
        for i, text in enumerate(texts):
            try:
                analysis = self._analyse(text)
                if not analysis.normalized.text:  # empty, blank, or only invisible marks
                    results[i] = _empty_result(text)
                    continue
                pending.append((i, analysis, self._entities(analysis)))
            except Exception:  # parse never raises: one bad message must not take the channel down
                log.exception("NLU failed on a message of %d characters", len(text))
                results[i] = _empty_result(text)
        if pending:
            rows = [self.vocabulary.vector(a.counts) for _, a, _ in pending]
            probabilities = self.classifier.probabilities(self.classifier.batch_scores(rows))
            for (i, _analysis, entities), p in zip(pending, probabilities, strict=True):
                results[i] = self._result(texts[i], p, entities)
        return results  # type: ignore[return-value]

    def _analyse(self, text: str) -> _Analysis:
        return analyse(text, self.config, self.tables)

    def _entities(self, analysis: _Analysis) -> list[dict[str, Any]]:
        normalized = analysis.normalized
        found = [to_rasa_entity(normalized, m) for m in analysis.patterns]
        found += [_table_entity(normalized, m) for m in analysis.tables if m.name in self.tables.entity_names]
        if self.crf is not None:
            tokens = tokenize(normalized.text)
            spans = crf.table_spans(analysis.tables) + [
                (m.entity, *normalized.original_span(m.start, m.end)) for m in analysis.patterns
            ]
            found += self.crf.entities(normalized, tokens, crf.token_tags(normalized, tokens, spans))
        kept = _without_overlaps(found)
        for entity in kept:
            if entity["extractor"] != "PatternEntityExtractor" and isinstance(entity["value"], str):
                entity["value"] = self.tables.synonym(entity["value"])
        return sorted(kept, key=lambda e: (e["start"], e["end"]))

    def _result(self, text: str, probabilities: np.ndarray, entities: list[dict[str, Any]]) -> dict[str, Any]:
        order = np.argsort(-probabilities, kind="stable")[:RANKING_SIZE]
        ranking = [{"name": self.intents[k], "confidence": round(float(probabilities[k]), 6)} for k in order]
        intent = dict(ranking[0])
        if self._falls_back(ranking):
            intent = {"name": FALLBACK_INTENT, "confidence": self.config.fallback_threshold}
            ranking = [dict(intent), *ranking][:RANKING_SIZE]
        return {"text": text, "intent": intent, "entities": entities, "intent_ranking": ranking}

    def _falls_back(self, ranking: list[dict[str, Any]]) -> bool:
        top = ranking[0]["confidence"]
        if top < self.config.fallback_threshold:
            return True
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        return top - second < self.config.ambiguity_threshold


def _as_text(text: Any) -> str:
    if isinstance(text, str):
        return text
    return "" if text is None else str(text)


def _empty_result(text: str) -> dict[str, Any]:
    return {"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": [], "intent_ranking": []}


def _table_entity(normalized: NormalizedText, match: TableMatch) -> dict[str, Any]:
    return {
        "entity": match.name,
        "value": normalized.original[match.start : match.end],
        "start": match.start,
        "end": match.end,
        "confidence": 1.0,
        "extractor": REGEX_EXTRACTOR,
    }


def _without_overlaps(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier extractors win (patterns, then tables, then the CRF); within one, the longer span wins."""
    kept: list[dict[str, Any]] = []
    for entity in entities:
        if not any(entity["start"] < k["end"] and k["start"] < entity["end"] for k in kept):
            kept.append(entity)
    return kept
