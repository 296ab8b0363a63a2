"""Button payloads typed or clicked as ``/intent{"entity": "value"}``, parsed the way Rasa does."""

from __future__ import annotations

import json
import re
from typing import Any

_PAYLOAD = re.compile(r"^/(?P<intent>[^{}\s]+)(?P<entities>\{.*\})?\s*$", re.DOTALL)


def parse_payload(text: str, known_intents: tuple[str, ...]) -> dict[str, Any] | None:
    """A Rasa parse result for a payload, or None when the text is not a payload for a known intent."""
    match = _PAYLOAD.match(text.strip())
    if not match or match.group("intent") not in known_intents:
        return None
    entities: list[dict[str, Any]] = []
    if match.group("entities"):
        try:
            values = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        start = match.start("entities")
        for name, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                entities.append(
                    {
                        "entity": name,
                        "value": item,
                        "start": start,
                        "end": len(text.strip()),
                        "confidence": 1.0,
                        "extractor": "payload",
                    }
                )
    intent = {"name": match.group("intent"), "confidence": 1.0}
    return {"text": text, "intent": intent, "entities": entities, "intent_ranking": [intent]}


def payload_for(intent: str, **entities: Any) -> str:
    """The payload a button sends: ``/intent`` or ``/intent{"entity":"value"}``."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
