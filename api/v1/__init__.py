"""The JSON API under ``/api/v1``."""

from fastapi import APIRouter

from api.v1 import console, customers, orders

router = APIRouter(prefix="/api/v1")
router.include_router(orders.router)
router.include_router(customers.router)
router.include_router(console.router)
