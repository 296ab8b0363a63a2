"""Signing agents in and out of the console (session cookie + CSRF token)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from api.console.deps import COOKIE, CurrentAgent, UnitOfWork, client_ip
from api.v1.console_schemas import AgentOut, LoginIn, SessionOut
from bot.services import agents

router = APIRouter(prefix="/auth", tags=["console: auth"])


def _check_origin(request: Request) -> None:
    """A login posted from another site's page (login CSRF) is refused; browsers send Origin on POST."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(status_code=403, detail="ورود از سایت دیگری پذیرفته نیست.")


@router.post(
    "/login",
    response_model=SessionOut,
    summary="Sign in; sets the HttpOnly session cookie and returns the CSRF token",
    responses={401: {}, 403: {}, 422: {}, 429: {"description": "5 failures in 5 minutes per account or IP"}},
)
async def login(body: LoginIn, request: Request, work: UnitOfWork) -> Response:
    _check_origin(request)
    try:
        agent = await agents.authenticate(
            work.session, email=body.email, password=body.password, ip=client_ip(request)
        )
    except agents.LoginThrottled as exc:
        return JSONResponse(
            status_code=429,
            content={"detail": "تلاش ناموفق زیاد بود؛ چند دقیقه بعد دوباره امتحان کنید."},
            headers={"Retry-After": str(exc.retry_after)},
        )
    except agents.LoginFailed:
        # Answered, not raised: the failed attempt must be committed for the rate limit to count it.
        return JSONResponse(status_code=401, content={"detail": "ایمیل یا گذرواژه درست نیست."})
    signed_in = await agents.start_session(work.session, agent=agent, ip=client_ip(request))
    out = SessionOut(
        agent=AgentOut.model_validate(agent),
        csrf_token=signed_in.session.csrf_token,
        expires_at=signed_in.session.expires_at,
    )
    response = JSONResponse(out.model_dump(mode="json"))
    response.set_cookie(
        COOKIE,
        signed_in.token,
        max_age=agents.SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
    )
    return response


@router.post("/logout", status_code=204, summary="End this session", responses={401: {}, 403: {}})
async def logout(signed_in: CurrentAgent, work: UnitOfWork) -> Response:
    await agents.end_session(work.session, signed_in.live)
    work.publish({"type": "session.ended", "session_id": signed_in.live.id})
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=SessionOut, summary="Who is signed in", responses={401: {}})
async def me(signed_in: CurrentAgent) -> SessionOut:
    return SessionOut(
        agent=AgentOut.model_validate(signed_in.agent),
        csrf_token=signed_in.live.csrf_token,
        expires_at=signed_in.live.expires_at,
    )
