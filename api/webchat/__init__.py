"""The web-chat widget over HTTP: the loader script, the iframe app, its WebSocket, and the demo shop."""

from fastapi import APIRouter

from api.webchat import demo, pages, socket

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(socket.router)
router.include_router(demo.router)

__all__ = ["router"]
