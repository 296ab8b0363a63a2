"""Wake the outbox senders of this process right after a transaction that queued a row commits.

Polling alone would leave a reply waiting up to a poll interval. A session that flushed a new Outbox
row nudges every running sender once it commits (never before: a row is invisible until then, and a
rolled-back one never existed). Other processes find the row by polling.
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.storage.models import Outbox

_FLAG = "pishkhan.outbox_added"


class Nudgeable(Protocol):
    def nudge(self) -> None: ...


_watching: weakref.WeakSet[Any] = weakref.WeakSet()
_installed = False


def watch(sender: Nudgeable) -> None:
    """Nudge ``sender`` after every commit that queued an outbox row (installs the hooks once)."""
    _install()
    _watching.add(sender)


def forget(sender: Nudgeable) -> None:
    _watching.discard(sender)


def nudge_all() -> None:
    for sender in list(_watching):
        sender.nudge()


def _install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True


def _after_flush(session: Session, _context: Any) -> None:
    if any(isinstance(obj, Outbox) for obj in session.new):
        session.info[_FLAG] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        nudge_all()


def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)
