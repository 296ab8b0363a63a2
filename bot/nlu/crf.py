"""A CRF (python-crfsuite) for the annotated entity types the built-in patterns do not produce.

Order numbers, phones, emails and serials are found exactly by :mod:`bot.text.entities`; a CRF is
trained only when the data annotates other types (a product, a carrier, a city, …). Tokens carry their
word, affixes, shape, the table and pattern entity they fall in, and the same for their neighbours;
tags are BIO. Long messages are tagged on their first ``MAX_TOKENS`` tokens only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.nlu.tables import TableMatch
from bot.nlu.tokens import Token
from bot.text.normalize import NormalizedText

EXTRACTOR = "CRFEntityExtractor"
MAX_TOKENS = 256
OUTSIDE = "O"
TRAINING_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}


def _shape(word: str) -> str:
    if word.isdigit():
        return "digits"
    has_digit = any(c.isdigit() for c in word)
    if word.isascii() and word.isalnum():
        return "latin+digits" if has_digit else "latin"
    if word.isalpha():
        return "letters"
    return "mixed" if has_digit else "symbol"


def _context_features(word: str, tags: set[str]) -> list[str]:
    """What a token tells its neighbours: its word, shape and the tables/patterns it lies in."""
    return [f"w={word}", f"shape={_shape(word)}", *(f"tag={t}" for t in sorted(tags))]


def _own_features(word: str) -> list[str]:
    """What only the token itself uses: affixes and length."""
    return [
        f"p2={word[:2]}",
        f"p3={word[:3]}",
        f"s2={word[-2:]}",
        f"s3={word[-3:]}",
        f"len={min(len(word), 8)}",
    ]


def sequence_features(words: list[str], tags: list[set[str]]) -> list[list[str]]:
    """Feature strings per token: its own and those of the two tokens either side."""
    context = [_context_features(w, t) for w, t in zip(words, tags, strict=True)]
    rows = []
    for i, word in enumerate(words):
        row = ["bias", *context[i], *_own_features(word)]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            row += [f"{offset}:{f}" for f in context[j]] if 0 <= j < len(words) else [f"{offset}:none"]
        rows.append(row)
    return rows


def token_tags(
    normalized: NormalizedText, tokens: list[Token], spans: Iterable[tuple[str, int, int]]
) -> list[set[str]]:
    """For each token, the names of the pattern entities and tables (original offsets) it lies in."""
    spans = list(spans)
    tags = []
    for token in tokens:
        start, end = normalized.original_span(token.start, token.end)
        tags.append({name for name, s, e in spans if s < end and start < e})
    return tags


def bio_labels(
    normalized: NormalizedText, tokens: list[Token], entities: Iterable[tuple[str, int, int]]
) -> list[str]:
    """BIO tags of tokens from annotated (entity, start, end) spans in original offsets."""
    labels, previous = [], None
    entities = list(entities)
    for token in tokens:
        start, end = normalized.original_span(token.start, token.end)
        hit = next((e for e in entities if e[1] < end and start < e[2]), None)
        labels.append(OUTSIDE if hit is None else ("I-" if hit == previous else "B-") + hit[0])
        previous = hit
    return labels


def train_crf(sequences: list[list[list[str]]], labels: list[list[str]], path: Path) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(sequences, labels, strict=True):
        if xseq:
            trainer.append(xseq, yseq)
    trainer.set_params(TRAINING_PARAMS)
    trainer.train(str(path))


class CrfTagger:
    """A loaded CRF. crfsuite's tagger keeps per-call state, so tagging is serialised by a lock."""

    def __init__(self, path: Path) -> None:
        import pycrfsuite

        self._lock = threading.Lock()
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))
        self.labels = sorted({label[2:] for label in self._tagger.labels() if label != OUTSIDE})

    def entities(
        self, normalized: NormalizedText, tokens: list[Token], tags: list[set[str]]
    ) -> list[dict[str, Any]]:
        tokens, tags = tokens[:MAX_TOKENS], tags[:MAX_TOKENS]
        if not tokens:
            return []
        features = sequence_features([t.text for t in tokens], tags)
        with self._lock:
            predicted = self._tagger.tag(features)
            return [
                self._entity(normalized, tokens, predicted, first, last) for first, last in _runs(predicted)
            ]

    def _entity(self, normalized, tokens, predicted, first: int, last: int) -> dict[str, Any]:
        start, _ = normalized.original_span(tokens[first].start, tokens[first].end)
        _, end = normalized.original_span(tokens[last].start, tokens[last].end)
        confidence = min(self._tagger.marginal(predicted[i], i) for i in range(first, last + 1))
        return {
            "entity": predicted[first][2:],
            "value": normalized.original[start:end],
            "start": start,
            "end": end,
            "confidence": round(float(confidence), 4),
            "extractor": EXTRACTOR,
        }


def _runs(predicted: list[str]) -> list[tuple[int, int]]:
    """(first, last) token index of each entity: a B- tag, or a stray I-, and the I- tags of its type after it."""
    runs: list[tuple[int, int]] = []
    for i, label in enumerate(predicted):
        if label == OUTSIDE:
            continue
        continues = (
            label.startswith("I-") and runs and runs[-1][1] == i - 1 and predicted[i - 1][2:] == label[2:]
        )
        if continues:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def table_spans(matches: list[TableMatch]) -> list[tuple[str, int, int]]:
    return [(m.name, m.start, m.end) for m in matches]
