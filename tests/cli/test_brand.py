"""``aftercart clients brand``: the retailer's name, colour and logo on its order pages."""

import base64
import json
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.models import ApiClient
from tests.cli.helpers import cli, said
from tests.web.helpers import arrange_grocery, place

#: A transparent PNG of one pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
Sessions = async_sessionmaker[AsyncSession]


async def client_id(db_url: str) -> str:
    created = await cli(db_url, "clients", "create", "--name", "Corner Grocer", "--json")
    identifier: str = json.loads(created.stdout)["client_id"]
    return identifier


async def test_brand_sets_name_colour_and_logo(
    db_url: str, tmp_path: Path, sessions: Sessions
) -> None:
    identifier = await client_id(db_url)
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    args = ["--name", "  Corner   Grocer ", "--colour", "teal", "--logo", str(logo), "--json"]
    result = await cli(db_url, "clients", "brand", identifier, *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "client_id": identifier,
        "brand_name": "Corner Grocer",
        "brand_colour": "#008080",
        "brand_logo_type": "image/png",
    }
    async with sessions() as session:
        stored = await session.scalar(
            select(ApiClient.brand_logo).where(ApiClient.client_id == identifier)
        )
        assert stored == PNG
    cleared = await cli(db_url, "clients", "brand", identifier, "--clear", "--json")
    assert json.loads(cleared.stdout)["brand_colour"] is None


async def test_bad_brands_are_refused_and_change_nothing(
    db_url: str, tmp_path: Path, sessions: Sessions
) -> None:
    identifier = await client_id(db_url)
    await cli(db_url, "clients", "brand", identifier, "--colour", "#0b6b3a")
    text = tmp_path / "logo.txt"
    text.write_text("not an image")
    cases = [
        (["--colour", "not-a-colour"], "is not a CSS colour"),
        (["--colour", "rgb(0 0 0 / 50%)"], "translucent"),
        (["--name", "Corner", "--logo", str(text)], "PNG, JPEG, WebP or GIF"),
        (["--name", "x" * 101], "1 to 100 characters"),
    ]
    for args, message in cases:
        result = await cli(db_url, "clients", "brand", identifier, *args)
        assert result.exit_code == 1, result.output
        assert message in " ".join(said(result)), said(result)
    unknown = await cli(db_url, "clients", "brand", "nobody", "--name", "X")
    assert unknown.exit_code == 1
    assert "No Connect client" in " ".join(said(unknown))
    nothing = await cli(db_url, "clients", "brand", identifier)
    assert nothing.exit_code == 2
    async with sessions() as session:
        client = await session.get(ApiClient, identifier)
        assert client is not None
        assert (client.brand_name, client.brand_colour) == (None, "#0b6b3a")


async def test_the_order_page_shows_the_brand_from_aftercarts_own_files(
    db_url: str, tmp_path: Path, http: httpx.AsyncClient, sessions: Sessions
) -> None:
    created = await cli(db_url, "clients", "create", "--name", "Corner Grocer", "--json")
    creds = json.loads(created.stdout)
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    branded = ["--name", "Corner Grocer", "--colour", "#ffcc00", "--logo", str(logo)]
    assert (await cli(db_url, "clients", "brand", creds["client_id"], *branded)).exit_code == 0
    token = await http.post("/v2/oauth/token", json={**creds, "grant_type": "client_credentials"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    placed = await place(http, headers, await arrange_grocery(sessions), "o-brand")

    page = await http.get(placed.order_url)
    assert "Corner Grocer</span>" in page.text
    stylesheet = f"/brands/{creds['client_id']}/brand.css"
    assert f'href="{stylesheet}?v=' in page.text
    css = await http.get(stylesheet)
    assert css.headers["content-type"].startswith("text/css")
    # Yellow takes dark text, and the accent is darkened until it reads on white.
    assert "--brand: #ffcc00; --brand-ink: #000000;" in css.text
    assert "--accent: #ffcc00" not in css.text
    image = await http.get(f"/brands/{creds['client_id']}/logo")
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"
    again = await http.get(
        f"/brands/{creds['client_id']}/logo", headers={"If-None-Match": image.headers["etag"]}
    )
    assert again.status_code == 304
    assert (await http.get("/brands/nobody/logo")).status_code == 404
    assert (await http.get("/brands/nobody/brand.css")).status_code == 404
