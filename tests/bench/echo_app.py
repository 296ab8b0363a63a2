"""A bare FastAPI app: the yardstick every HTTP figure in ``make bench`` is compared with."""

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.put("/echo/{number}")
async def echo_put(number: str, body: dict[str, Any]) -> dict[str, Any]:
    return body


@app.post("/echo")
async def echo_post(body: dict[str, Any]) -> dict[str, Any]:
    return body
