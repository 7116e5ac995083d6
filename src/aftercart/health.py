from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from aftercart.db.session import SessionDep, TransactionalRoute

router = APIRouter(tags=["operations"], route_class=TransactionalRoute)


@router.get("/healthz", summary="Liveness and database check")
async def healthz(session: SessionDep) -> JSONResponse:
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
