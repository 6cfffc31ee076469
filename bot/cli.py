"""`python -m bot ...` (also installed as `cdht`)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from content import ContentError, check_content, load_content
from content.scoring import score as score_points

app = typer.Typer(
    help="CDHT bot: the Learning Citizen chatbot.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
content_app = typer.Typer(
    help="Content (criteria, resources, units) commands.", no_args_is_help=True
)
telegram_app = typer.Typer(help="Telegram set-up.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outgoing message queue.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(telegram_app, name="telegram")
app.add_typer(outbox_app, name="outbox")
unit_app = typer.Typer(
    help="Units under communes (villages, agencies, enterprises, schools).", no_args_is_help=True
)
officer_app = typer.Typer(help="Officers and admins of the association.", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(officer_app, name="officer")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _runtime():
    from bot.runtime import build

    try:
        return build()
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command()
def run() -> None:
    """Start the bot: on Telegram by long polling when TELEGRAM_BOT_TOKEN is set, otherwise
    on the local console."""
    if Settings().telegram_bot_token:
        poll()
    else:
        chat(as_=getpass.getuser())


def _service(mode: str, **options: bool) -> None:
    import signal

    from bot.services import Services

    async def main() -> None:
        runtime = _runtime()
        try:
            services = Services(runtime)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, services.stop.set)
            await getattr(services, mode)(**options)
        finally:
            await runtime.close()

    asyncio.run(main())


@app.command()
def poll() -> None:
    """Run on Telegram by long polling, with the inbox processor and delivery worker."""
    _service("poll")


@app.command()
def serve(
    workers: Annotated[
        bool, typer.Option(help="Also process the inbox and deliver (else leave it to `worker`)")
    ] = True,
) -> None:
    """Run the web server (Telegram webhook at /telegram/webhook, /healthz) with the inbox
    processor and delivery worker."""
    _service("serve", with_workers=workers)


@app.command()
def worker() -> None:
    """Run the inbox processor and the delivery worker only (safe to run several)."""
    _service("worker")


async def _with_bot(action):
    from bot.channels.telegram import make_bot

    settings = Settings()
    if not settings.telegram_bot_token:
        raise _fail("TELEGRAM_BOT_TOKEN is not set", 1)
    bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
    try:
        return await action(bot, settings)
    finally:
        await bot.session.close()


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL ending in /telegram/webhook")],
) -> None:
    """Register the webhook with Telegram, with WEBHOOK_SECRET as its secret token."""

    async def action(bot, settings) -> None:
        if not settings.webhook_secret:
            raise _fail("WEBHOOK_SECRET is not set", 1)
        await bot.set_webhook(
            url,
            secret_token=settings.webhook_secret,
            allowed_updates=["message", "callback_query", "my_chat_member"],
        )

    asyncio.run(_with_bot(action))
    typer.echo(f"webhook set to {url}")


@telegram_app.command("delete-webhook")
def telegram_delete_webhook() -> None:
    """Remove the webhook (needed before long polling)."""

    async def action(bot, settings) -> None:
        await bot.delete_webhook()

    asyncio.run(_with_bot(action))
    typer.echo("webhook deleted")


def _database(action):
    from storage.db import create_engine, make_sessionmaker

    async def main():
        db = create_engine(Settings().database_url)
        try:
            async with make_sessionmaker(db)() as session, session.begin():
                return await action(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


@outbox_app.command("status")
def outbox_status() -> None:
    """Messages by state and the age of the oldest one waiting."""
    from storage.models import utcnow
    from storage.repositories import outbox

    async def action(session):
        return (
            await outbox.status_counts(session),
            await outbox.oldest_pending_age(session, utcnow()),
        )

    counts, age = _database(action)
    for state in sorted(counts):
        typer.echo(f"{state:10} {counts[state]}")
    typer.echo(f"oldest pending: {f'{age.total_seconds():.0f} s' if age else 'none'}")


@outbox_app.command("retry-dead")
def outbox_retry_dead(
    channel: Annotated[str | None, typer.Option(help="Only this channel")] = None,
) -> None:
    """Queue dead messages again (after fixing what killed them)."""
    from storage.repositories import outbox

    async def action(session):
        return await outbox.requeue_dead(session, channel)

    typer.echo(f"requeued {_database(action)} messages")


@app.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="Play this user (one name per person)")] = "me",
) -> None:
    """Chat with the bot in this terminal (or pipe a script in, one message per line)."""
    from bot.channels.console import ConsoleChannel

    async def main() -> None:
        runtime = _runtime()
        try:
            await ConsoleChannel(runtime.engine, as_).run()
        finally:
            await runtime.close()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database to the latest schema."""
    from storage.migrate import upgrade

    upgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@content_app.command("check")
def content_check(
    path: Annotated[Path | None, typer.Argument(help="Content folder (default: built-in)")] = None,
) -> None:
    """Validate criteria, rules, units, resources and targets; list every problem."""
    issues = check_content(path, province_code=Settings().province_code)
    for issue in issues:
        typer.echo(str(issue), err=True)
    if issues:
        raise typer.Exit(1)
    typer.echo("content OK")


@app.command()
def score(
    group: Annotated[str, typer.Option(help="Target group id, e.g. residents")],
    points: Annotated[str, typer.Option(help="Ten comma-separated points, indicator 1 to 10")],
    commune: Annotated[str | None, typer.Option(help="Official commune code")] = None,
    disadvantaged: Annotated[bool, typer.Option(help="Apply the disadvantaged-area rule")] = False,
    year: Annotated[int | None, typer.Option(help="Assessment year (default: this year)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Score a paper form against the official pass rules."""
    from datetime import date

    settings = Settings()
    try:
        content = load_content(None, province_code=settings.province_code)
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    try:
        criteria = content.criteria_for(group, year or date.today().year)
    except KeyError:
        known = ", ".join(g.id for g in content.groups(year or date.today().year))
        raise _fail(f"unknown group {group!r} (known: {known})") from None
    try:
        values = [int(p) for p in points.split(",")]
    except ValueError:
        raise _fail(f"points must be whole numbers, got {points!r}") from None
    if len(values) != len(criteria.indicators):
        raise _fail(f"expected {len(criteria.indicators)} points, got {len(values)}")
    for indicator, value in zip(criteria.indicators, values, strict=True):
        if not 0 <= value <= indicator.max_points:
            raise _fail(
                f"indicator {indicator.number}: {value} is outside 0..{indicator.max_points}"
            )
    if commune is not None:
        if content.units.get(commune) is None:
            raise _fail(f"unknown commune code {commune!r} in {content.units.province_name}")
        disadvantaged = disadvantaged or content.units.is_disadvantaged(commune)
    result = score_points(
        criteria, {i.id: v for i, v in zip(criteria.indicators, values, strict=True)}, disadvantaged
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "total": result.total,
                    "threshold": result.threshold,
                    "passed": result.passed,
                    "failed_rules": list(result.failed_rules),
                }
            )
        )
    else:
        verdict = "PASS" if result.passed else "FAIL (" + ", ".join(result.failed_rules) + ")"
        typer.echo(f"total {result.total}, threshold {result.threshold}: {verdict}")


@unit_app.command("add")
def unit_add(
    parent: Annotated[str, typer.Option(help="Official code of the commune it belongs to")],
    name: Annotated[str, typer.Option(help="Its name, e.g. 'Thôn Phú Sơn'")],
    kind: Annotated[str, typer.Option(help="village, agency, enterprise or school")],
) -> None:
    """Create a unit under a commune; prints its code (for `officer invite --unit`)."""
    from storage.models import UnitKind, utcnow
    from storage.repositories import staff

    units = load_content(None, province_code=Settings().province_code).units
    commune = units.get(parent)
    if commune is None:
        raise _fail(f"unknown commune code {parent!r} in {units.province_name}")
    if kind not in {k.value for k in UnitKind}:
        raise _fail(f"kind must be one of {', '.join(k.value for k in UnitKind)}")
    clean = " ".join(name.split())
    if not clean:
        raise _fail("the name is empty")

    async def action(session):
        unit = await staff.add_unit(
            session, commune_code=parent, name=clean, kind=kind, now=utcnow()
        )
        return unit.code

    try:
        code = _database(action)
    except IntegrityError:
        raise _fail(f"{parent} already has a unit named {clean!r}") from None
    typer.echo(f"{code}\t{clean} ({kind}), {commune.name}")


@unit_app.command("list")
def unit_list(
    parent: Annotated[str | None, typer.Option(help="Only this commune's units")] = None,
) -> None:
    """Units with their codes."""
    from storage.repositories import staff

    async def action(session):
        return [(u.code, u.name, u.kind) for u in await staff.units(session, parent)]

    for code, name, kind in _database(action):
        typer.echo(f"{code}\t{name} ({kind})")


@officer_app.command("invite")
def officer_invite(
    unit: Annotated[
        str | None, typer.Option(help="Commune code, or a unit code from `unit list`")
    ] = None,
    role: Annotated[str, typer.Option(help="officer, or admin (the whole province)")] = "officer",
) -> None:
    """Print a one-time code (valid 7 days) that makes its sender an officer or admin."""
    from storage.models import StaffRole, utcnow
    from storage.repositories import staff

    if role not in {r.value for r in StaffRole}:
        raise _fail("role must be officer or admin")
    if role == StaffRole.OFFICER and unit is None:
        raise _fail("an officer needs --unit")
    units = load_content(None, province_code=Settings().province_code).units
    if unit is not None and "-" not in unit and units.get(unit) is None:
        raise _fail(f"unknown commune code {unit!r} in {units.province_name}")

    async def action(session):
        commune, unit_id = unit, None
        if unit is not None and "-" in unit:
            found = await staff.unit_by_code(session, unit)
            if found is None:
                return None
            commune, unit_id = found.commune_code, found.id
        return await staff.invite(
            session, role=StaffRole(role), commune_code=commune, unit_id=unit_id, now=utcnow()
        )

    code = _database(action)
    if code is None:
        raise _fail(f"unknown unit {unit!r} (see `unit list`)")
    typer.echo(f"code: {code}  (valid 7 days, once)")
    typer.echo(f"the officer sends:  /officer {code}")
    typer.echo(f"or opens:  https://t.me/<bot username>?start=o_{code}")


@officer_app.command("list")
def officer_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked roles")] = False,
) -> None:
    """Officers and admins with their scope."""
    from storage.repositories import staff

    async def action(session):
        return [
            (
                s.id,
                s.user_id,
                s.role,
                s.commune_code or "-",
                s.unit_id or "-",
                s.granted_at,
                s.revoked_at,
            )
            for s in await staff.roles(session, include_revoked=all_)
        ]

    for staff_id, user_id, role, commune, unit_id, granted, revoked in _database(action):
        ended = f"  revoked {revoked:%Y-%m-%d}" if revoked else ""
        typer.echo(
            f"{staff_id}\tuser {user_id}\t{role}\tcommune {commune}\tunit {unit_id}"
            f"\tsince {granted:%Y-%m-%d}{ended}"
        )


@officer_app.command("revoke")
def officer_revoke(
    staff_id: Annotated[int, typer.Argument(help="Id from `officer list`")],
) -> None:
    """End a role at once."""
    from storage.models import utcnow
    from storage.repositories import staff

    async def action(session):
        return await staff.revoke(session, staff_id, utcnow())

    if not _database(action):
        raise _fail(f"no active role {staff_id}", 1)
    typer.echo(f"role {staff_id} revoked")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
