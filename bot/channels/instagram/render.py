"""An outbox body as Send API requests (channels.md §3.4): pure, so every limit is tested without a server.

Limits that Meta enforces or silently applies: text of at most 1,000 UTF-8 *bytes* (Persian letters
take two, so ~500 letters), at most 13 quick replies, quick-reply titles cut after 20 characters.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

log = logging.getLogger("pishkhan.instagram")

TEXT_BYTES = 1000
MAX_QUICK_REPLIES = 13
TITLE_CHARS = 20
ELLIPSIS = "…"
CHOOSE_PROMPT = "یکی را انتخاب کنید:"  # quick replies need text to hang on
# Where to cut, best first, with the least share of the room a part must use to be cut there.
_BREAKS = ((re.compile(r"\n\s*\n"), 0.5), (re.compile(r"\n"), 0.5), (re.compile(r"\s"), 0.0))
_JOINERS = "\u200c\u200d"  # ZWNJ/ZWJ belong to the letters around them (می‌خواهم)


def split_text(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Parts of at most ``limit`` UTF-8 bytes, cut at a paragraph, line or word break when there is one."""
    rest = text.strip()
    parts: list[str] = []
    while len(rest.encode()) > limit:
        cut = _cut_point(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` so the head fits: at the latest paragraph or line break that keeps at
    least half the room used, else at the latest space, else between two characters."""
    fitting = text.encode()[:limit].decode("utf-8", "ignore")  # never half a character
    if text[len(fitting)].isspace():
        return len(fitting)  # the prefix ends with a whole word
    for pattern, share in _BREAKS:
        ends = [m.start() for m in pattern.finditer(fitting)]
        if ends and ends[-1] > len(fitting) * share:
            return ends[-1]
    return _hard_cut(text, len(fitting))


def _hard_cut(text: str, cut: int) -> int:
    """Step back over combining marks and joiners, so a word without spaces is cut between letters."""
    while cut > 1 and (
        unicodedata.combining(text[cut]) or text[cut] in _JOINERS or text[cut - 1] in _JOINERS
    ):
        cut -= 1
    return cut


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """A quick-reply title of at most ``limit`` characters, cut at a word with an ellipsis when long."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    room = title[: limit - 1]
    space = room.rfind(" ")
    head = room[:space] if space >= limit // 2 else room
    return head.rstrip(" " + _JOINERS) + ELLIPSIS


def quick_replies(buttons: list[dict[str, Any]]) -> list[dict[str, str]]:
    if len(buttons) > MAX_QUICK_REPLIES:
        log.warning("%d buttons: Instagram shows only the first %d", len(buttons), MAX_QUICK_REPLIES)
    replies = []
    for button in buttons[:MAX_QUICK_REPLIES]:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title)
        if title:
            replies.append({"content_type": "text", "title": short_title(title), "payload": payload})
    return replies


def send_requests(
    recipient: str, body: dict[str, Any], *, messaging_type: str, tag: str | None
) -> list[dict]:
    """The Send API bodies for one outbox row, in order: an image first, then the text in parts, the
    quick replies on the last part (so they stay under the newest bubble)."""
    messages: list[dict[str, Any]] = []
    if body.get("image"):
        messages.append({"attachment": {"type": "image", "payload": {"url": str(body["image"])}}})
    replies = quick_replies(list(body.get("buttons") or []))
    parts = split_text(str(body.get("text") or ""))
    if replies and not parts:
        parts = [CHOOSE_PROMPT]
    messages += [{"text": part} for part in parts]
    if replies:
        messages[-1]["quick_replies"] = replies
    envelope: dict[str, Any] = {"recipient": {"id": recipient}, "messaging_type": messaging_type}
    if tag:
        envelope["tag"] = tag
    return [{**envelope, "message": message} for message in messages]
