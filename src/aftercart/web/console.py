"""The sandbox's shopper console: a developer acts as a shopper from the browser.

The page is a shell that reveals nothing: its script (``static/console.js``) signs in with a
client's credentials at the public ``POST /v2/oauth/token`` and does everything through the public
sandbox API, as an integrator would. Like the sandbox API, it is not there (404) when the sandbox
is off. Kept out of the OpenAPI document: it is a page, not part of the API.
"""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from aftercart.config import SettingsDep
from aftercart.sandbox.lookup import internal_id
from aftercart.web.templating import page

router = APIRouter(include_in_schema=False)

#: Where the console's script finds the API (same origin: the page's CSP allows only 'self').
SANDBOX_API = "/v2/fulfillment_sandbox"
TOKEN_URL = "/v2/oauth/token"


@router.get("/sandbox/shoppers/{shopper_id}", response_class=HTMLResponse)
async def shopper_console(shopper_id: str, settings: SettingsDep) -> HTMLResponse:
    """The shell; whether the shopper exists, and is the signed-in client's to see, is the API's
    answer to the script (a shopper id that can be no row's is the same 404 as no sandbox)."""
    pk = internal_id(shopper_id)
    if not settings.sandbox_enabled or not pk:
        return page("console_not_found.html", status_code=404)
    return page("console.html", shopper_id=pk, sandbox_api=SANDBOX_API, token_url=TOKEN_URL)
