"""The same actions served to a real Rasa by rasa-sdk's own server: ``python -m rasa_sdk --actions actions``."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.storage.migrate import upgrade
from tests.bench.servers import free_port

DOMAIN = yaml.safe_load((PROJECT_ROOT / "nlu_data" / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('actions')}/actions.db"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "PISHKHAN_DATABASE_URL": url, "PISHKHAN_SHOP_NAME": "فروشگاه آزمایشی"}
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, "the action server exited"
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def action_call(name: str, intent: str, entities: list[dict] | None = None) -> dict:
    """What Rasa POSTs to /webhook (rasa.md §1.1), for a user 'rasa-user-1' on Rasa's own channel."""
    latest = {"text": "x", "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    return {
        "next_action": name,
        "sender_id": "rasa-user-1",
        "tracker": {
            "sender_id": "rasa-user-1",
            "slots": {slot: None for slot in DOMAIN["slots"]},
            "latest_message": latest,
            "events": [
                {
                    "event": "user",
                    "timestamp": time.time(),
                    "text": "x",
                    "parse_data": latest,
                    "input_channel": "rest",
                }
            ],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action_name": "action_listen",
            "paused": False,
            "followup_action": None,
        },
        "domain": DOMAIN,
        "version": "3.6.21",
    }


def test_the_action_server_lists_every_custom_action(action_server: str) -> None:
    served = {a["name"] for a in httpx.get(f"{action_server}/actions").json()}
    assert set(DOMAIN["actions"]) <= served


def test_return_policy_answers_from_settings(action_server: str) -> None:
    response = httpx.post(
        f"{action_server}/webhook", json=action_call("action_return_policy", "return_policy")
    )
    assert response.status_code == 200
    [message] = response.json()["responses"]
    assert message["response"] == "utter_return_policy"
    assert message["return_days_fa"] == "۷"


def test_tracking_without_verification_asks_for_order_access(action_server: str) -> None:
    """Standalone, the action opens its own database session for the Rasa sender and commits it."""
    response = httpx.post(f"{action_server}/webhook", json=action_call("action_track_order", "track_order"))
    assert response.status_code == 200
    events = response.json()["events"]
    assert {"event": "followup", "name": "order_access_form"} in [
        {k: e[k] for k in ("event", "name")} for e in events if e["event"] == "followup"
    ]
