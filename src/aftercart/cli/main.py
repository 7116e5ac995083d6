"""The ``aftercart`` command: one Typer app, one module per command group."""

from typing import Annotated

import typer

from aftercart.cli import (
    catalog,
    clients,
    db,
    demo,
    feedback,
    marketplaces,
    sandbox,
    scenario,
    serve,
    stores,
    trigger,
    webhooks,
)
from aftercart.cli.failures import ReportingGroup

app = typer.Typer(
    cls=ReportingGroup,
    help="Aftercart: the post-checkout service.",
    no_args_is_help=True,
    # A traceback (--debug) must not print the database password or a client secret.
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show a failure's full traceback (also: AFTERCART_DEBUG=1)."),
    ] = False,
) -> None:
    """Declares the global options; :class:`ReportingGroup` reads ``--debug`` when a command
    fails."""


app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("demo")(demo.demo)
app.add_typer(db.app, name="db")
app.add_typer(clients.app, name="clients")
app.add_typer(catalog.app, name="catalog")
app.add_typer(stores.app, name="stores")
app.add_typer(marketplaces.app, name="marketplaces")
app.add_typer(feedback.app, name="feedback")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(scenario.app, name="scenario")
app.command("trigger")(trigger.trigger)
