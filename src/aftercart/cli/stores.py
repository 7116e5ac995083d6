"""``aftercart stores``: store imports."""

import typer

from aftercart.catalog.rules import STORE_COLUMNS
from aftercart.catalog.stores_import import import_stores
from aftercart.cli.catalog import FileArgument, import_csv
from aftercart.cli.database import DatabaseUrlOption
from aftercart.cli.runtime import JsonOption

app = typer.Typer(help="Stores (locations for pickup and delivery).", no_args_is_help=True)


@app.command("import")
def import_file(
    file: FileArgument, as_json: JsonOption = False, database_url: DatabaseUrlOption = None
) -> None:
    """Import stores (upserted by location_code) from columns location_code,name,address_line_1,
    city,state,postal_code,latitude,longitude,pickup,delivery; booleans are true/false, 1/0 or
    yes/no."""
    import_csv(file, STORE_COLUMNS, import_stores, as_json=as_json, database_url=database_url)
