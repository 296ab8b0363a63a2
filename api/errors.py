"""Every failure becomes a JSON answer with a message a person can act on; never a bare 500 page."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from bot.storage.engine import is_unavailable

log = logging.getLogger("pishkhan.api")
UNPARSED_BODY = "There was an error parsing the body"  # FastAPI's words


def _field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        message, field = str(error.get("msg", "invalid value")), _field(tuple(error.get("loc", ())))
        if error.get("type") == "json_invalid":
            message = "request body is not valid JSON: " + str(error.get("ctx", {}).get("error", message))
            field = "body"
        errors.append({"field": field, "message": message})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": summary, "errors": errors})


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """FastAPI answers a JSON body it could not decode with "There was an error parsing the body" and
    nothing more; say what was wrong with it."""
    cause = exc.__cause__
    if exc.detail == UNPARSED_BODY and isinstance(cause, UnicodeDecodeError):
        exc = HTTPException(400, f"request body is not UTF-8: {cause.reason} at byte {cause.start}")
    elif exc.detail == UNPARSED_BODY and isinstance(cause, RecursionError):
        exc = HTTPException(400, "request body is nested too deeply")
    elif exc.detail == UNPARSED_BODY and cause is not None:  # e.g. int() refusing 4,300 digits or more
        exc = HTTPException(400, f"request body could not be parsed: {cause}")
    return await http_exception_handler(request, exc)


async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning("integrity error: %s", type(exc.orig).__name__)
    return JSONResponse(
        status_code=409, content={"detail": "conflicts with data changed at the same time; retry"}
    )


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", type(exc).__name__)
    return JSONResponse(
        status_code=503, content={"detail": "database unavailable, retry later"}, headers={"Retry-After": "5"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):  # a refused connection, an exhausted pool: the client should come back
        return await _database_unavailable(request, exc)
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "internal error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)  # every pooled connection is busy
    app.add_exception_handler(ConnectionError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
