"""Every operation of the OpenAPI schema, fed generated input (valid and not) by schemathesis, against a
live server with the trained bot: nothing may answer 5xx. As the shop (Bearer key) and as an admin agent
(session cookie and CSRF token), so requests get past authentication into the code behind it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bot.storage.migrate import upgrade
from tests.bench.servers import ROOT, uvicorn_server

API_KEY = "fuzz-shop-key"
ADMIN = ("fuzz-admin@example.com", "a long enough fuzz password 1")
# Erasing or deactivating the fuzzing admin's own account would only end the session, not find bugs.
EXAMPLES = 20
CONSOLE = (
    "/api/v1/auth",
    "/api/v1/handoffs",
    "/api/v1/conversations",
    "/api/v1/canned",
    "/api/v1/agents",
    "/api/v1/audit",
    "/api/v1/reports",
)
SKIPPED = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/agents/{agent_id}/deactivate")}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path) -> Iterator[dict[str, object]]:
    directory = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite+aiosqlite:///{directory}/fuzz.db"
    upgrade(url)
    env = {
        "PISHKHAN_DATABASE_URL": url,
        "PISHKHAN_NLU_MODEL": str(nlu_model_dir),
        "PISHKHAN_API_KEY": API_KEY,
        "PISHKHAN_LOG_LEVEL": "WARNING",
        "PISHKHAN_ENV": "test",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "agents",
            "create",
            "--email",
            ADMIN[0],
            "--name",
            "فازر",
            "--role",
            "admin",
        ],
        input=ADMIN[1] + "\n",
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "bot", "demo-data"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    with uvicorn_server("api.app:create_app", env, factory=True) as base:
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        login.raise_for_status()
        yield {"base": base, "cookies": dict(login.cookies), "csrf": login.json()["csrf_token"]}


def operations(base: str) -> list:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


# schemathesis' own pytest plugin does not run on pytest 9 yet: each operation is driven by hypothesis here.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_operation_answers_5xx(live: dict[str, object], mode: GenerationMode) -> None:
    failures: list[str] = []
    for operation in operations(str(live["base"])):
        if (operation.method.upper(), operation.path) in SKIPPED or operation.path == "/api/v1/events":
            continue  # ends the fuzzing session / a stream that never ends (tests/console/test_events.py)
        try:
            fuzz(operation, mode, live, failures)
        except Unsatisfiable:
            continue  # nothing in this operation can be made invalid (no parameters, no body)
    assert failures == []


def fuzz(operation, mode: GenerationMode, live: dict[str, object], failures: list[str]) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", "X-CSRF-Token": str(live["csrf"])}
    if operation.path.startswith(CONSOLE):
        headers.pop("Authorization")  # the console's own endpoints: the agent's session

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(mode))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=str(live["base"]), headers=headers, cookies=live["cookies"], timeout=30)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
            )

    check()
