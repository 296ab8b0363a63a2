"""The data's synonym, regex and lookup tables, as used at parse time.

Lookup entries and synonym keys are compared in canonical word form (:mod:`bot.nlu.tokens`), so
``پست پیشتاز``, ``پست‌پیشتاز`` and ``پست پيشتاز`` (Arabic ye) all match the same entry. Regexes run on the
normalised text (ASCII digits) and, for patterns written with Persian digits, on the original text too.

Every table that matches adds a feature for the intent classifier (Rasa's RegexFeaturizer); a table
whose name is also an annotated entity type yields entities (Rasa's RegexEntityExtractor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.tokens import Token, canonical_words
from bot.text.entities import PATTERN_ENTITIES
from bot.text.normalize import NormalizedText, normalize_text

EXTRACTOR = "RegexEntityExtractor"


@dataclass(frozen=True, slots=True)
class TableMatch:
    name: str
    start: int  # original-text offsets
    end: int


def canonical_key(text: str) -> str:
    return " ".join(canonical_words(normalize_text(text)))


class EntityTables:
    def __init__(
        self,
        synonyms: dict[str, str],
        regexes: dict[str, list[str]],
        lookups: dict[str, list[str]],
        entity_names: list[str],
    ) -> None:
        self.synonyms = {canonical_key(k): v for k, v in synonyms.items() if canonical_key(k)}
        self.regexes = regexes
        self.lookups = lookups
        # Rasa's RegexEntityExtractor rule (tables named after an annotated entity type), minus the types
        # the built-in patterns own: their values must be normalised (ASCII digits, 09… phones).
        self.entity_names = sorted(
            (set(entity_names) & (set(regexes) | set(lookups))) - set(PATTERN_ENTITIES)
        )
        self._compiled = {
            name: re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE) for name, ps in regexes.items()
        }
        self._entries = _index_lookups(lookups)

    def to_json(self) -> dict:
        return {
            "synonyms": self.synonyms,
            "regexes": self.regexes,
            "lookups": self.lookups,
            "entity_names": self.entity_names,
        }

    @classmethod
    def from_json(cls, raw: dict) -> EntityTables:
        tables = cls({}, raw["regexes"], raw["lookups"], [])
        tables.entity_names = list(raw["entity_names"])
        tables.synonyms = dict(raw["synonyms"])  # already canonical
        return tables

    def find(
        self, normalized: NormalizedText, tokens: list[Token], max_chars: int | None = None
    ) -> list[TableMatch]:
        """Every regex and lookup match, offsets into the original text; only the first ``max_chars``
        normalised characters are searched when given (features need no more)."""
        found = [*self._regex_matches(normalized, max_chars), *self._lookup_matches(normalized, tokens)]
        return sorted(set(found), key=lambda m: (m.start, -m.end, m.name))

    def _regex_matches(self, normalized: NormalizedText, max_chars: int | None) -> list[TableMatch]:
        found = []
        text = normalized.text[:max_chars]
        original = normalized.original
        if max_chars is not None and len(text) < len(normalized.text):
            original = original[: normalized.original_span(len(text) - 1, len(text))[1]]
        for name, pattern in self._compiled.items():
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    found.append(TableMatch(name, *normalized.original_span(match.start(), match.end())))
            for match in pattern.finditer(original):
                if match.end() > match.start():
                    found.append(TableMatch(name, match.start(), match.end()))
        return _drop_nested(found)

    def _lookup_matches(self, normalized: NormalizedText, tokens: list[Token]) -> list[TableMatch]:
        if not self._entries:
            return []
        words = [t.text for t in tokens]
        found = []
        for i, word in enumerate(words):
            for entry, name in self._entries.get(word, ()):
                if tuple(words[i : i + len(entry)]) == entry:
                    last = tokens[i + len(entry) - 1]
                    found.append(TableMatch(name, *normalized.original_span(tokens[i].start, last.end)))
        return found

    def synonym(self, value: str) -> str:
        return self.synonyms.get(canonical_key(value), value)


def _index_lookups(lookups: dict[str, list[str]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word → [(entry words, table name)], longest entries first."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for name, entries in lookups.items():
        for entry in entries:
            words = tuple(canonical_words(normalize_text(entry)))
            if words:
                index.setdefault(words[0], []).append((words, name))
    for candidates in index.values():
        candidates.sort(key=lambda c: -len(c[0]))
    return index


def _drop_nested(matches: list[TableMatch]) -> list[TableMatch]:
    """The same table matched on both texts: keep the widest span."""
    kept: list[TableMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if not any(k.name == match.name and k.start <= match.start and match.end <= k.end for k in kept):
            kept.append(match)
    return kept
