"""`nuvola serve`: the web server (reading, memory search, writing, co-writing, the issue viewer)."""

from __future__ import annotations

import click

from cli.context import AppContext, console, pass_app


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but localhost needs the access token.",
)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--new-token", is_flag=True, help="Make a new access token (the old one stops working).")
@click.option(
    "--max-upload-mb",
    default=512,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Largest upload accepted, in MB.",
)
@click.option("--no-worker", is_flag=True, help="Do not start the worker (jobs wait in the queue).")
@pass_app
def serve_command(
    app: AppContext, host: str, port: int, new_token: bool, max_upload_mb: int, no_worker: bool
) -> None:
    """Serve Nuvola on http://HOST:PORT: upload scans and follow the reading, browse pages and transcripts,
    search the memory, write issues, co-write in a chat, read and download the finished issues."""
    import uvicorn

    from agent.server.app import ServeConfig, create_app
    from agent.server.security import Limits, is_loopback, stored_digest
    from agent.server.security import new_token as make_token

    settings = app.settings
    home = settings.home
    digest = None
    if not is_loopback(host):
        digest = stored_digest(home)
        if digest is None or new_token:
            token = make_token(home)
            digest = stored_digest(home)
            console.print(
                f"[bold]access token[/] (shown once, only its hash is kept): {token}", soft_wrap=True
            )
            console.print(
                f"[dim]log in on the page (or open http://HOST:{port}/#token={token}), or send "
                f"Authorization: Bearer {token}[/]",
                soft_wrap=True,
            )
        else:
            console.print(
                f"[dim]access token: the one made before (hash in {home / 'server' / 'token.json'}); "
                "`nuvola serve --new-token` makes another[/]",
                soft_wrap=True,
            )
    config = ServeConfig(
        home=home,
        host=host,
        port=port,
        models=app.model_overrides,
        token_digest=digest,
        limits=Limits(upload_bytes=max_upload_mb * 1024 * 1024),
        start_worker=not no_worker,
    )
    shown = "localhost" if is_loopback(host) else host
    console.print(f"serving {home} on [bold]http://{shown}:{port}/[/] (Ctrl-C to stop)", soft_wrap=True)
    uvicorn.run(
        create_app(config, settings), host=host, port=port, log_level="warning", timeout_graceful_shutdown=5
    )


def register(cli: click.Group) -> None:
    cli.add_command(serve_command)
