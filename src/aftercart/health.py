from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from aftercart.db.session import SessionDep, TransactionalRoute

router = APIRouter(tags=["operations"], route_class=TransactionalRoute)


class Health(BaseModel):
    status: Literal["ok", "error"]
    database: str


@router.get(
    "/healthz",
    summary="Liveness and database check",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer."}},
)
async def healthz(session: SessionDep) -> JSONResponse:
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
