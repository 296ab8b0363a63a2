"""The REST channel adapter: Rasa's ``{sender, message, metadata}`` in, ``[{recipient_id, text, buttons}]`` out."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from bot.channels.base import InboundMessage
from bot.channels.wire import check_document
from bot.dialogue.responses import BotMessage
from bot.storage.base import utcnow

NAME = "rest"
MAX_METADATA_DEPTH = 16
MAX_MESSAGE_ID = 200  # it becomes the message's external id, a 255-character column


def check_text(text: str) -> str:
    return check_document(text, strict=True)  # PostgreSQL cannot store NUL or lone surrogates


def check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata is kept with the turn in JSON columns: it must be JSON that PostgreSQL's jsonb takes
    (no NaN or Infinity, no NUL, no lone surrogate), shallow, and its message_id a short id."""
    check_document(metadata, max_depth=MAX_METADATA_DEPTH, strict=True)
    message_id = metadata.get("message_id")
    if isinstance(message_id, bool) or not isinstance(message_id, str | int | None):
        raise ValueError("message_id must be a string or an integer")
    if message_id is not None and len(str(message_id)) > MAX_MESSAGE_ID:
        raise ValueError(f"message_id must be at most {MAX_MESSAGE_ID} characters")
    return metadata


class RestMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Rasa clients send extra keys such as input_channel

    sender: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
        AfterValidator(check_text),
    ]
    message: Annotated[str, StringConstraints(max_length=10_000), AfterValidator(check_text)]
    metadata: Annotated[dict[str, Any], Field(max_length=50), AfterValidator(check_metadata)] = {}


class RestChannel:
    name = NAME

    def parse(self, body: RestMessageIn) -> InboundMessage:
        message_id = body.metadata.get("message_id")
        return InboundMessage(
            channel=NAME,
            external_user_id=body.sender,
            external_message_id=str(message_id) if message_id else uuid.uuid4().hex,
            text=body.message,
            sent_at=utcnow(),
            metadata={k: v for k, v in body.metadata.items() if isinstance(k, str)},
        )

    @staticmethod
    def render(recipient_id: str, messages: list[BotMessage]) -> list[dict[str, Any]]:
        """As Rasa's CollectingOutputChannel: text without buttons is split on blank lines."""
        out: list[dict[str, Any]] = []
        for message in messages:
            if message.buttons:
                out.append(
                    {
                        "recipient_id": recipient_id,
                        "text": message.text or "",
                        "buttons": [{"title": b["title"], "payload": b["payload"]} for b in message.buttons],
                    }
                )
            elif message.text:
                out += [
                    {"recipient_id": recipient_id, "text": part}
                    for part in message.text.strip().split("\n\n")
                ]
            if message.image:
                out.append({"recipient_id": recipient_id, "image": message.image})
            if message.custom:
                out.append({"recipient_id": recipient_id, "custom": message.custom})
        return out
