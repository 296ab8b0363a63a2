"""The conversation runtime (NLU model + dialogue engine), loaded once at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.engine import DialogueEngine
from bot.dialogue.locks import LocalLocks
from bot.dialogue.runtime import ConversationRuntime
from bot.nlu import ModelError, NluModel, load_model

log = logging.getLogger("pishkhan")
DIALOGUE_DATA = PROJECT_ROOT / "nlu_data"


@dataclass
class Runtime:
    nlu: NluModel
    conversations: ConversationRuntime
    locks: LocalLocks


def load_runtime(settings: Settings, dialogue_data: Path = DIALOGUE_DATA) -> Runtime | None:
    """Load the NLU model and the dialogue; None (and an error in the log) when the model is missing,
    so the shop API and health still serve while conversations answer 503."""
    try:
        nlu = load_model(settings.nlu_model)
    except ModelError as exc:
        log.error("conversations are off: %s (run `make model` or `pishkhan nlu train`)", exc)
        return None
    engine = DialogueEngine.load(dialogue_data)
    return Runtime(nlu=nlu, conversations=ConversationRuntime(engine, nlu, settings), locks=LocalLocks())


def get_runtime(request: Request) -> Runtime:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(
            status_code=503, detail="NLU model not loaded; run `pishkhan nlu train` and restart"
        )
    return runtime
