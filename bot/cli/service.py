"""The long-running commands: `run`, `poll`, `serve`, `worker` and the console `chat`."""

from __future__ import annotations

import asyncio
import getpass
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.root import app
from bot.settings import Settings
from content import ContentError


def _runtime():
    """The runtime of a long-running command, built as its process starts."""
    from bot.allocator import use_one_arena
    from bot.runtime import build

    use_one_arena()  # before the database's thread and any other start
    try:
        return build()
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command()
def run() -> None:
    """Start the bot: by long polling on Telegram and/or Zalo Bot when TELEGRAM_BOT_TOKEN
    and/or ZALO_BOT_TOKEN is set, otherwise on the local console."""
    settings = Settings()
    if settings.telegram_bot_token or settings.zalo_bot_token:
        poll()
    else:
        chat(as_=getpass.getuser(), web=True)


def _serving(start) -> None:
    """Build the runtime; `start(runtime)` gives the event that stops the part and the part
    to run; SIGINT and SIGTERM set that event; the runtime is closed after."""
    import signal

    async def main() -> None:
        runtime = _runtime()
        try:
            stop, part = start(runtime)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await part
        finally:
            await runtime.close()

    asyncio.run(main())


def _service(mode: str, **options: bool) -> None:
    from bot.services import Services

    def start(runtime):
        services = Services(runtime)
        return services.stop, getattr(services, mode)(**options)

    _serving(start)


@app.command()
def poll() -> None:
    """Run on Telegram and/or Zalo Bot (whichever has a token) by long polling, with the
    inbox processor and a delivery worker per platform."""
    _service("poll")


@app.command()
def serve(
    workers: Annotated[
        bool, typer.Option(help="Also process the inbox and deliver (else leave it to `worker`)")
    ] = True,
    verify_only: Annotated[
        bool,
        typer.Option(help="Only the certificates' verification pages and /healthz: no token"),
    ] = False,
) -> None:
    """Run the web server (webhooks at /telegram/webhook and /zalo/webhook, /healthz) with the
    inbox processor and a delivery worker per platform."""
    if verify_only:
        _verify_site()
        return
    _service("serve", with_workers=workers)


def _verify_site() -> None:
    from bot.services import verify_site

    def start(runtime):
        stop = asyncio.Event()
        return stop, verify_site(runtime, stop)

    _serving(start)


@app.command()
def worker() -> None:
    """Run the inbox processor and the delivery worker only (safe to run several)."""
    _service("worker")


@app.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="Play this user (one name per person)")] = "me",
    web: Annotated[
        bool, typer.Option(help="Also serve the web console (and /verify) on HOST:PORT")
    ] = False,
) -> None:
    """Chat with the bot in this terminal (or pipe a script in, one message per line)."""
    from bot.channels.console import ConsoleChannel

    async def main() -> None:
        runtime = _runtime()
        documents = runtime.documents(runtime.engine.sessions)
        try:
            async with _console_site(runtime, documents, serve=web):
                await ConsoleChannel(
                    runtime.engine,
                    as_,
                    documents=documents,
                    folder=Path(runtime.settings.documents_dir),
                ).run()
        finally:
            await runtime.close()

    asyncio.run(main())


@asynccontextmanager
async def _console_site(runtime, documents, *, serve: bool):
    """The web console beside the terminal chat: a newcomer is a citizen in the terminal and
    an officer in the browser (`/web` in the chat prints the sign-in link)."""
    if not serve:
        yield
        return
    from aiohttp import web

    from bot.web.server import make_app

    sessions = runtime.engine.sessions
    settings = runtime.settings
    app = make_app(
        sessions,
        webhook_secret="",
        certificates=runtime.certificates,
        catalogs=runtime.engine.catalogs,
        documents=documents,
        console=runtime.console(sessions, documents),
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        typer.echo(f"Trang quản lý / web console: {settings.site_url}/web/ (gõ /web để đăng nhập)")
    except OSError as exc:  # the port is taken: the chat works without the console
        typer.echo(f"web console not started: {exc}", err=True)
    try:
        yield
    finally:
        await runner.cleanup()
