"""Finding products by the identifiers Connect items carry."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.models import Product


async def find_product(
    session: AsyncSession, *, upc: str | None = None, rrc: str | None = None
) -> Product | None:
    """The product with this UPC or RRC (exactly one should be given), or ``None``."""
    if upc:
        return await session.scalar(select(Product).where(Product.upc == upc))
    if rrc:
        return await session.scalar(select(Product).where(Product.rrc == rrc))
    return None
