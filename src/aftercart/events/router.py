from fastapi import APIRouter

from aftercart.events.stream.router import router as stream_router
from aftercart.events.webhooks.router import router as webhooks_router

router = APIRouter()
router.include_router(webhooks_router)
router.include_router(stream_router)
