"""Development and production modes: what each exposes, and what production refuses.

``AFTERCART_ENV=production`` (the default) keeps the sandbox, private webhook receivers and
cross-origin browser access off unless each is turned on by its own setting; ``development``
(what ``./scripts/serve`` sets) turns them on unless each is turned off.
"""

from aftercart.config import Settings

#: Origins a development server accepts browser calls from: any port on the loopback names.
DEVELOPMENT_ORIGIN_PATTERN = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"


class UnsafeSettings(ValueError):
    """Settings that only make sense on a developer's machine, refused in production."""


def refusals(settings: Settings) -> list[str]:
    """What production will not start with; empty in development."""
    if settings.development:
        return []
    problems: list[str] = []
    if "*" in (settings.cors_origins or []):
        problems.append(
            "AFTERCART_CORS_ORIGINS=* lets any web page call the API; name the origins instead"
        )
    if _in_memory(settings.database_url):
        problems.append(
            "an in-memory SQLite database loses every order when the process stops; "
            "use a file or PostgreSQL"
        )
    return problems


def check(settings: Settings) -> None:
    problems = refusals(settings)
    if problems:
        raise UnsafeSettings(
            "refusing to start in production mode: "
            + "; ".join(problems)
            + " (or set AFTERCART_ENV=development)"
        )


def cors_origins(settings: Settings) -> tuple[list[str], str | None]:
    """The origins allowed to call from a browser, and a pattern for development's loopback."""
    if settings.cors_origins is not None:
        return settings.cors_origins, None
    if settings.development:
        return [], DEVELOPMENT_ORIGIN_PATTERN
    return [], None


def summary(settings: Settings) -> str:
    """One line for the log at start-up: the mode and what it exposes."""
    origins, pattern = cors_origins(settings)
    if "*" in origins:
        cors = "any origin"
    elif origins:
        cors = ", ".join(origins)
    elif pattern:
        cors = "localhost origins"
    else:
        cors = "none"
    sandbox = "on" if settings.sandbox_enabled else "off"
    private = "allowed" if settings.allow_private_webhooks else "refused"
    return (
        f"Aftercart in {settings.env} mode: sandbox {sandbox}, private webhook receivers "
        f"{private}, cross-origin browser access: {cors}"
    )


def _in_memory(database_url: str) -> bool:
    return database_url.startswith("sqlite") and (
        database_url.endswith(":memory:") or database_url.rstrip("/").endswith("sqlite+aiosqlite:")
    )
