"""The ``aftercart`` command: one Typer app, one module per command group."""

import typer

from aftercart.cli import catalog, clients, db, feedback, marketplaces, serve, stores, webhooks

app = typer.Typer(help="Aftercart: the post-checkout service.", no_args_is_help=True)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(db.app, name="db")
app.add_typer(clients.app, name="clients")
app.add_typer(catalog.app, name="catalog")
app.add_typer(stores.app, name="stores")
app.add_typer(marketplaces.app, name="marketplaces")
app.add_typer(feedback.app, name="feedback")
app.add_typer(webhooks.app, name="webhooks")
