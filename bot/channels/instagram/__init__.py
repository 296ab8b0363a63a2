"""Instagram Direct through Meta's webhooks and Send API (channels.md §3, issue 6 items 2 and 4).

``within_window`` tells whether a message may go to an Instagram customer now (and with which tag);
proactive messages use it before queueing anything for Instagram.
"""

from bot.channels.instagram.adapter import NAME, InstagramChannel, Signature, check_signature, parse
from bot.channels.instagram.window import WindowDecision, within_window

__all__ = [
    "NAME",
    "InstagramChannel",
    "Signature",
    "WindowDecision",
    "check_signature",
    "parse",
    "within_window",
]
