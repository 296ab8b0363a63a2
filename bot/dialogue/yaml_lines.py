"""YAML loading that remembers line numbers, so load-time errors can name the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DialogueConfigError(ValueError):
    """A domain or rules file uses something the engine does not support, or is malformed."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line = str(path), line


class LineDict(dict[str, Any]):
    line: int = 0


class LineList(list[Any]):
    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict(loader.construct_mapping(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_sequence(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path) -> LineDict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialogueConfigError(path, None, f"cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DialogueConfigError(path, mark.line + 1 if mark else None, f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DialogueConfigError(path, None, "must be a YAML mapping")
    return data if isinstance(data, LineDict) else LineDict(data)


def line_of(value: object, default: int | None = None) -> int | None:
    return getattr(value, "line", default)
