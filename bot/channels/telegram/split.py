"""Long replies in parts: Telegram takes at most 4,096 characters a message, counted in UTF-16 code
units (an emoji counts two). Cut at a paragraph, else a line, else a space, never inside a word when
there is any space to cut at."""

from __future__ import annotations

MAX_CHARS = 4096


def units(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    parts: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        head = _fitting_prefix(rest, limit)
        cut = _boundary(rest, head)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return max(index, 1)  # one character always fits in a part, even an emoji in a limit of 1
    return len(text)


def _boundary(text: str, head: int) -> int:
    """Where to cut within ``text[:head]``: after the last paragraph break, line break or space; a hard
    cut at ``head`` when there is none (one endless word)."""
    window = text[: head + 1]  # a break right after the limit still lets the head be whole
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, head + 1)
        if at > head // 4:  # not so early that the part is a stub
            return at
    at = max((i for i in range(min(head, len(text) - 1), 0, -1) if text[i].isspace()), default=-1)
    return at if at > 0 else head
