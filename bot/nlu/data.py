"""Load Rasa 3.x NLU training data (YAML) from a file or a directory, with errors that name file and line.

Accepted, as Rasa documents it: ``version`` (≤ "3.1"; missing means "3.1"), ``nlu:`` items ``intent``
(+ ``examples``, ``metadata``), ``synonym``, ``regex`` and ``lookup``; ``examples`` as a block string of
``- `` lines or as a list of ``{text, metadata}``; every annotation form of :mod:`bot.nlu.annotation`.
In a directory, every ``*.yml``/``*.yaml`` is read and files without an ``nlu:`` key (domain, rules,
stories) are skipped.

Refused with :class:`DataError` (file:line): invalid YAML or UTF-8, an unknown key in an ``nlu`` item, a
missing name or ``examples``, a non-``-`` line in an examples block, invalid annotation JSON, an invalid
regex, a newer format version, no data at all, fewer than two intents, and **the same example under two
intents** — contradictory labels silently cap accuracy and make evaluation lie, so they are fixed in
the data, not guessed at. A repeated example within one intent is only logged and counted once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.annotation import EntitySpan, parse_annotated
from bot.nlu.errors import DataError

log = logging.getLogger(__name__)

LATEST_FORMAT_VERSION = (3, 1)
_ITEM_KEYS = {
    "intent": {"intent", "examples", "metadata"},
    "synonym": {"synonym", "examples", "metadata"},
    "regex": {"regex", "examples", "metadata"},
    "lookup": {"lookup", "examples", "metadata"},
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""  # "path:line", for messages


@dataclass(slots=True)
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface text → value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def entity_types(self) -> list[str]:
        return sorted({s.entity for e in self.examples for s in e.entities})

    def fingerprint(self) -> str:
        """sha256 of the content that shapes a model (order-independent), for the model manifest."""
        rows = sorted(
            json.dumps(
                [e.intent, e.text, [(s.entity, s.start, s.end, s.value) for s in e.entities]],
                ensure_ascii=False,
            )
            for e in self.examples
        )
        extra = json.dumps([self.synonyms, self.regexes, self.lookups], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256("\n".join([*rows, extra]).encode()).hexdigest()

    def subset(self, indices) -> TrainingData:
        """The same tables with only the examples at ``indices`` (cross-validation folds)."""
        return TrainingData([self.examples[i] for i in indices], self.synonyms, self.regexes, self.lookups)


def load_training_data(path: str | Path, *, min_intents: int = 2) -> TrainingData:
    """Read a Rasa NLU YAML file or every such file under a directory; raise :class:`DataError`."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"{path}: no such file or directory")
    reader = _Reader()
    for file in files:
        reader.read_file(file, required=not path.is_dir())
    return reader.finish(path, min_intents=min_intents)


class _Reader:
    def __init__(self) -> None:
        self.data = TrainingData()
        self._seen: dict[str, Example] = {}
        self._conflicts: list[str] = []

    def read_file(self, file: Path, *, required: bool) -> None:
        root = _compose(file)
        if root is None or not isinstance(root, yaml.MappingNode) or "nlu" not in _keys(root):
            if required:
                raise DataError(f"{file}: not Rasa NLU training data (no top-level 'nlu:' key)")
            log.debug("skipping %s: no nlu section", file)
            return
        mapping = dict(_pairs(root))
        _check_version(file, mapping.get("version"))
        items = mapping["nlu"]
        if not isinstance(items, yaml.SequenceNode):
            raise DataError(f"{_where(file, items)}: 'nlu' must be a list of items")
        for item in items.value:
            self._read_item(file, item)

    def _read_item(self, file: Path, item: yaml.Node) -> None:
        if not isinstance(item, yaml.MappingNode):
            raise DataError(
                f"{_where(file, item)}: an nlu item must be a mapping (intent, synonym, regex, lookup)"
            )
        fields = dict(_pairs(item))
        kinds = [k for k in _ITEM_KEYS if k in fields]
        if len(kinds) != 1:
            raise DataError(
                f"{_where(file, item)}: an nlu item needs exactly one of intent, synonym, regex, lookup"
            )
        kind = kinds[0]
        name = _scalar(file, fields[kind], kind)
        unknown = sorted(set(fields) - _ITEM_KEYS[kind])
        if unknown:
            expected = ", ".join(sorted(_ITEM_KEYS[kind] - {kind}))
            raise DataError(
                f"{_where(file, item)}: unknown key '{unknown[0]}' in {kind} '{name}' (expected {expected})"
            )
        if "examples" not in fields:
            raise DataError(f"{_where(file, item)}: {kind} '{name}' has no examples")
        lines = list(_example_lines(file, fields["examples"], f"{kind} '{name}'"))
        getattr(self, f"_add_{kind}")(file, name, lines)

    def _add_intent(self, file: Path, name: str, lines: list[tuple[str, int]]) -> None:
        for raw, line in lines:
            try:
                text, spans = parse_annotated(raw)
            except ValueError as exc:
                raise DataError(f"{file}:{line}: intent '{name}': {exc}") from None
            if not text.strip():
                raise DataError(f"{file}:{line}: intent '{name}': empty example")
            self._add_example(Example(text.strip(), name, tuple(_strip_spans(text, spans)), f"{file}:{line}"))

    def _add_example(self, example: Example) -> None:
        key = " ".join(example.text.split()).casefold()
        previous = self._seen.get(key)
        if previous is None:
            self._seen[key] = example
            self.data.examples.append(example)
            for span in example.entities:
                if span.value != example.text[span.start : span.end]:
                    self.data.synonyms.setdefault(example.text[span.start : span.end], span.value)
        elif previous.intent == example.intent:
            log.info("%s: repeats the example at %s; counted once", example.source, previous.source)
        else:
            self._conflicts.append(
                f"{example.source}: example {example.text!r} is in intent '{example.intent}' "
                f"and in intent '{previous.intent}' ({previous.source})"
            )

    def _add_synonym(self, file: Path, name: str, lines: list[tuple[str, int]]) -> None:
        for text, _line in lines:
            self.data.synonyms[text] = name

    def _add_regex(self, file: Path, name: str, lines: list[tuple[str, int]]) -> None:
        for pattern, line in lines:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise DataError(
                    f"{file}:{line}: regex '{name}': invalid pattern {pattern!r}: {exc}"
                ) from None
            self.data.regexes.setdefault(name, []).append(pattern)

    def _add_lookup(self, file: Path, name: str, lines: list[tuple[str, int]]) -> None:
        self.data.lookups.setdefault(name, []).extend(text for text, _line in lines)

    def finish(self, path: Path, *, min_intents: int) -> TrainingData:
        if self._conflicts:
            more = f" (and {len(self._conflicts) - 3} more)" if len(self._conflicts) > 3 else ""
            raise DataError("; ".join(self._conflicts[:3]) + more)
        if len(self.data.intents) < min_intents:
            raise DataError(
                f"{path}: found {len(self.data.intents)} intent(s); training needs at least {min_intents}"
            )
        return self.data


def _compose(file: Path) -> yaml.Node | None:
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(f"{where}: invalid YAML: {problem}") from None


def _keys(node: yaml.MappingNode) -> list[str]:
    return [k.value for k, _v in node.value if isinstance(k, yaml.ScalarNode)]


def _pairs(node: yaml.MappingNode):
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            yield key.value, value


def _where(file: Path, node: yaml.Node) -> str:
    return f"{file}:{node.start_mark.line + 1}"


def _scalar(file: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise DataError(f"{_where(file, node)}: '{what}' needs a name")
    return str(node.value).strip()


def _check_version(file: Path, node: yaml.Node | None) -> None:
    if node is None:
        log.debug("%s: no version, assuming 3.1", file)
        return
    raw = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
    try:
        version = tuple(int(p) for p in raw.split("."))
    except ValueError:
        raise DataError(f'{_where(file, node)}: version must look like "3.1", not {raw!r}') from None
    if version > LATEST_FORMAT_VERSION:
        raise DataError(f"{_where(file, node)}: training data format {raw} is newer than the supported 3.1")


def _example_lines(file: Path, node: yaml.Node, owner: str):
    """Yield (example text, 1-based line) from a block string of '- ' lines or a list of {text} items."""
    if isinstance(node, yaml.ScalarNode):
        first_line = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
        for offset, raw in enumerate(str(node.value).splitlines()):
            line = raw.strip()
            if not line:
                continue
            if not line.startswith("-"):
                raise DataError(
                    f"{file}:{first_line + offset}: {owner}: example lines must start with '- ', got {line!r}"
                )
            yield line[1:].strip(), first_line + offset
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield _listed_example(file, item, owner), item.start_mark.line + 1
    else:
        raise DataError(
            f"{_where(file, node)}: {owner}: examples must be a '|' block of '- ' lines or a list"
        )


def _listed_example(file: Path, item: yaml.Node, owner: str) -> str:
    if isinstance(item, yaml.ScalarNode):
        return str(item.value).strip()
    fields = dict(_pairs(item)) if isinstance(item, yaml.MappingNode) else {}
    unknown = sorted(set(fields) - {"text", "metadata"})
    if "text" not in fields or unknown:
        raise DataError(
            f"{_where(file, item)}: {owner}: a listed example needs 'text' (and optional 'metadata')"
        )
    return _scalar(file, fields["text"], "text")


def _strip_spans(text: str, spans: list[EntitySpan]) -> list[EntitySpan]:
    """Shift spans for the leading whitespace that ``text.strip()`` removes."""
    shift = len(text) - len(text.lstrip())
    return (
        [EntitySpan(s.entity, s.start - shift, s.end - shift, s.value, s.role, s.group) for s in spans]
        if shift
        else spans
    )
