"""``POST /model/parse``: Rasa's NLU-only server contract, with the model loaded once at start-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.runtime import get_runtime

router = APIRouter(tags=["nlu"])


class ParseIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Rasa clients may send message_id

    text: Annotated[str, StringConstraints(max_length=10_000)]


@router.post("/model/parse", summary="Parse a message as Rasa does", responses={503: {}})
async def parse(body: ParseIn, request: Request) -> dict[str, Any]:
    """As Rasa: a ``/intent{"entity": "value"}`` button payload is read directly, other text by the model."""
    return get_runtime(request).conversations.understand(body.text)
