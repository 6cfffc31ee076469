"""`python -m bot ...` (also installed as `cdht`)."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot import certificate_cli, receipts_cli, unit_cli
from bot.audit_cli import audit_app, note, operator, set_operator
from bot.inbox_cli import inbox_app
from bot.paper_cli import paper_app
from bot.settings import Settings
from content import Content, ContentError, check_content, load_content
from content.scoring import score as score_points

app = typer.Typer(
    help="CDHT bot: the Learning Citizen chatbot.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
content_app = typer.Typer(
    help="Content (criteria, resources, units) commands.", no_args_is_help=True
)
telegram_app = typer.Typer(help="Telegram set-up.", no_args_is_help=True)
zalo_app = typer.Typer(help="Zalo Bot set-up.", no_args_is_help=True)
zalo_oa_app = typer.Typer(help="Zalo Official Account set-up (OAuth tokens).", no_args_is_help=True)
outbox_app = typer.Typer(help="Outgoing message queue.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(telegram_app, name="telegram")
app.add_typer(zalo_app, name="zalo")
app.add_typer(zalo_oa_app, name="zalo-oa")
app.add_typer(outbox_app, name="outbox")
unit_app = typer.Typer(
    help="Units under communes (villages, agencies, enterprises, schools).", no_args_is_help=True
)
officer_app = typer.Typer(help="Officers and admins of the association.", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(officer_app, name="officer")
broadcast_app = typer.Typer(
    help="Broadcasts: one text to a segment of people, sent by the running workers.",
    no_args_is_help=True,
)
app.add_typer(broadcast_app, name="broadcast")
certificate_app = typer.Typer(help="Learning Citizen certificates.", no_args_is_help=True)
app.add_typer(certificate_app, name="certificate")
population_app = typer.Typer(
    help="Figures for the plan's ratios: adults in learning families and communities, staff in "
    "learning units. Set one unit's with the options, or import a CSV.",
    invoke_without_command=True,
)
unit_app.add_typer(population_app, name="population")
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")
review_app = typer.Typer(help="Decisions on self-assessments.", no_args_is_help=True)
app.add_typer(review_app, name="review")
app.add_typer(inbox_app, name="inbox")
app.add_typer(audit_app, name="audit")
app.add_typer(paper_app, name="paper")


@app.callback()
def _operator(
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="CDHT_AS",
            help="Who runs the command, for the audit trail (default: the system account)",
        ),
    ] = None,
) -> None:
    """CDHT bot: the Learning Citizen chatbot."""
    set_operator(as_)


certificate_app.command("batch")(certificate_cli.batch)
unit_app.command("communes")(unit_cli.communes)
paper_app.command("receipts")(receipts_cli.receipts)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _content(settings: Settings | None = None) -> Content:
    """The deployment's content (its own folder, if set), or exit listing what is wrong."""
    settings = settings or Settings()
    try:
        return load_content(
            Path(settings.content_dir) if settings.content_dir else None,
            province_code=settings.province_code,
        )
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _runtime():
    from bot.runtime import build

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


async def _with_bot(action):
    from bot.channels.telegram import make_bot

    settings = Settings()
    if not settings.telegram_bot_token:
        raise _fail("TELEGRAM_BOT_TOKEN is not set", 1)
    bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
    try:
        return await action(bot, settings)
    finally:
        await bot.close()


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL ending in /telegram/webhook")],
) -> None:
    """Register the webhook with Telegram, with WEBHOOK_SECRET as its secret token."""

    async def action(bot, settings) -> None:
        if not settings.webhook_secret:
            raise _fail("WEBHOOK_SECRET is not set", 1)
        await bot.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": settings.webhook_secret,
                "allowed_updates": ["message", "callback_query", "my_chat_member"],
            },
        )

    asyncio.run(_with_bot(action))
    typer.echo(f"webhook set to {url}")


@telegram_app.command("delete-webhook")
def telegram_delete_webhook() -> None:
    """Remove the webhook (needed before long polling)."""

    async def action(bot, settings) -> None:
        await bot.call("deleteWebhook")

    asyncio.run(_with_bot(action))
    typer.echo("webhook deleted")


def _zalo(method: str, params: dict[str, str] | None = None) -> None:
    from bot.channels.zalo_bot import ZaloApiError, ZaloBotApi

    settings = Settings()
    if not settings.zalo_bot_token:
        raise _fail("ZALO_BOT_TOKEN is not set", 1)

    async def call() -> None:
        api = ZaloBotApi(settings.zalo_bot_token or "", settings.zalo_bot_api_url)
        try:
            await api.call(method, params)
        finally:
            await api.close()

    try:
        asyncio.run(call())
    except ZaloApiError as exc:
        raise _fail(f"Zalo refused {method}: {exc}", 1) from None


@zalo_app.command("set-webhook")
def zalo_set_webhook(
    url: Annotated[str, typer.Argument(help="Public HTTPS URL ending in /zalo/webhook")],
) -> None:
    """Register the webhook with Zalo Bot, with ZALO_WEBHOOK_SECRET as its secret token."""
    secret = Settings().zalo_webhook_secret
    if not 8 <= len(secret) <= 256:
        raise _fail("ZALO_WEBHOOK_SECRET must be 8-256 characters", 1)
    _zalo("setWebhook", {"url": url, "secret_token": secret})
    typer.echo(f"webhook set to {url}")


@zalo_app.command("delete-webhook")
def zalo_delete_webhook() -> None:
    """Remove the webhook (needed before long polling)."""
    _zalo("deleteWebhook")
    typer.echo("webhook deleted")


def _oa_settings() -> Settings:
    settings = Settings()
    if not (settings.zalo_oa_app_id and settings.zalo_oa_app_secret):
        raise _fail("ZALO_OA_APP_ID and ZALO_OA_APP_SECRET must be set", 1)
    return settings


@zalo_oa_app.command("authorize")
def zalo_oa_authorize(
    redirect_uri: Annotated[
        str, typer.Option(help="The callback URL registered in the Zalo app's settings")
    ],
) -> None:
    """Print the consent URL for the OA's admin (PKCE; the verifier is kept in the database)."""
    from bot.channels.zalo_oa_tokens import consent_url, new_verifier
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    settings = _oa_settings()
    verifier = new_verifier()

    async def action(session) -> None:
        await oa_tokens.start_consent(session, settings.zalo_oa_app_id, verifier, utcnow())

    _database(action)
    typer.echo(
        consent_url(settings.zalo_oauth_url, settings.zalo_oa_app_id, redirect_uri, verifier)
    )
    typer.echo(
        "Open this as the OA's admin and allow access; Zalo then sends the browser to the "
        "callback URL with ?code=...: run `zalo-oa exchange CODE` within 10 minutes."
    )


@zalo_oa_app.command("exchange")
def zalo_oa_exchange(
    code: Annotated[str, typer.Argument(help="The code= of the page Zalo's consent led to")],
) -> None:
    """Exchange the consent's code for the first tokens, and store them."""
    from datetime import timedelta

    from bot.channels.zalo_oa_tokens import OAuthClient, OAuthError
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    settings = _oa_settings()
    app_id = settings.zalo_oa_app_id

    async def verifier(session):
        row = await oa_tokens.get(session, app_id)
        return row.code_verifier if row is not None else None

    code_verifier = _database(verifier)
    if not code_verifier:
        raise _fail("no consent under way: run `zalo-oa authorize` first", 1)
    oauth = OAuthClient(app_id, settings.zalo_oa_app_secret, settings.zalo_oauth_url)
    try:
        grant = asyncio.run(oauth.exchange(code, code_verifier))
    except OAuthError as exc:
        raise _fail(f"Zalo refused the code: {exc}", 1) from None
    now = utcnow()
    expires_at = now + timedelta(seconds=grant.expires_in)

    async def store(session) -> None:
        await oa_tokens.store_tokens(
            session,
            app_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=expires_at,
            now=now,
        )

    _database(store)
    typer.echo(f"tokens stored; the access token is valid until {expires_at:%Y-%m-%d %H:%M} UTC")


@zalo_oa_app.command("status")
def zalo_oa_status() -> None:
    """The OA tokens' state, as /healthz reports it (exit code 1 unless ok)."""
    from bot.channels.zalo_oa_tokens import health
    from storage.models import utcnow
    from storage.repositories import oa_tokens

    app_id = _oa_settings().zalo_oa_app_id

    async def action(session):
        return health(await oa_tokens.get(session, app_id), utcnow())

    report = _database(action)
    for key, value in report.items():
        typer.echo(f"{key:11} {value}")
    if report["status"] != "ok":
        raise typer.Exit(1)


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

    content = _content()
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
    kind: Annotated[
        str, typer.Option(help="village, agency, enterprise, school (content/units/routing.yaml)")
    ],
) -> None:
    """Create a unit under a commune; prints its code (for `officer invite --unit`)."""
    from handlers.actions import Reason, Refused, units

    done = _act(lambda work, actor: units.add(work, actor, commune=parent, name=name, kind=kind))
    if isinstance(done, Refused):
        clean = " ".join(name.split())
        raise _fail(
            {
                Reason.BAD_KIND: f"kind must be one of {', '.join(_content().routing.kinds)}",
                Reason.NO_NAME: "the name is empty",
                Reason.TAKEN: f"{parent} already has a unit named {clean!r}",
            }.get(
                done.reason,
                f"unknown commune code {parent!r} in {_content().units.province_name}",
            )
        )
    commune = _content().units.get(parent)
    assert commune is not None
    typer.echo(f"{done.code}\t{done.name} ({done.kind}), {commune.name}")


@unit_app.command("list")
def unit_list(
    parent: Annotated[str | None, typer.Option(help="Only this commune's units")] = None,
) -> None:
    """Units with their codes."""
    from handlers.actions import units

    for unit in _act(units.listed):
        if parent is None or unit.commune_code == parent:
            typer.echo(f"{unit.code}\t{unit.name} ({unit.kind})")


def _bad_figures(bad, path: str | None = None) -> typer.Exit:
    """A refused figure or CSV line, said in English with the file and line."""
    from handlers.i18n import Translator, load_catalogs

    where = f"{path}:{bad.line}: " if path and bad.line else ""
    return _fail(where + bad.say(Translator(load_catalogs(), "en")))


@population_app.callback()
def unit_population(
    context: typer.Context,
    unit: Annotated[str | None, typer.Option(help="Commune code or unit code")] = None,
    year: Annotated[int | None, typer.Option(help="The year the figures are for")] = None,
    adults: Annotated[
        int | None, typer.Option(help="Adults in learning families, clans and communities")
    ] = None,
    staff_: Annotated[
        int | None, typer.Option("--staff", help="Officials and employees in learning units")
    ] = None,
) -> None:
    """Set a commune's or unit's figures for a year (only those given change)."""
    from handlers.actions import populations

    if context.invoked_subcommand is not None:
        return
    if unit is None or year is None or (adults is None and staff_ is None):
        raise _fail("give --unit, --year and --adults and/or --staff (or: population import FILE)")
    try:
        figures = _act(
            lambda work, actor: populations.set_figures(
                work, actor, unit, year, adults=adults, staff=staff_
            )
        )
    except populations.BadFigures as bad:
        raise _bad_figures(bad) from None
    typer.echo(f"{unit} {year}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


@population_app.command("import")
def unit_population_import(
    path: Annotated[Path, typer.Argument(help="CSV with the header unit_code,year,adults,staff")],
) -> None:
    """Create or update many units' figures from a CSV; any bad line changes nothing."""
    from handlers.actions import populations

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read: {exc}") from None
    try:
        count = _act(
            lambda work, actor: populations.import_csv(work, actor, text, source=path.name)
        )
    except populations.BadFigures as bad:
        raise _bad_figures(bad, str(path)) from None
    typer.echo(f"imported {count} rows")


@report_app.command("annual")
def report_annual(
    year: Annotated[int, typer.Option(help="The assessed year")],
    out: Annotated[Path, typer.Option(help="The file to write: .xlsx or .csv")],
    unit: Annotated[
        str | None, typer.Option(help="Only this commune or unit (default: the province)")
    ] = None,
) -> None:
    """The annual report: a summary per unit with the plan's ratios, the recognised citizens
    and the submissions waiting for a decision."""
    from bot.reports.annual import AnnualReport, UnknownScope, write_annual
    from handlers.i18n import Translator, load_catalogs
    from storage.models import utcnow

    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise _fail("--out must end in .xlsx or .csv")
    settings = Settings()
    content = load_content(None, province_code=settings.province_code)
    report = AnnualReport(
        content, Translator(load_catalogs(), "vi"), year, utcnow(), settings.issuer
    )
    try:
        asyncio.run(write_annual(settings.database_url, report, unit, out))
    except UnknownScope as exc:
        raise _fail(str(exc)) from None

    async def exported(session):  # it lists people by name: an export of their data
        await note(session, "report.exported", unit or "province", year=year, file=out.name)

    _database(exported)
    typer.echo(f"written {out}")


def _act(action):
    """Run an action as the server's operator, in one transaction: its result, or the
    refusal (already audited, and committed with the rest)."""
    from handlers.actions import Actor, Refused, Work
    from handlers.i18n import load_catalogs
    from storage.models import utcnow

    content, catalogs = _content(), load_catalogs()

    async def run(session):
        try:
            work = Work(session, content, catalogs, utcnow())
            return await action(work, Actor.operator(operator()))
        except Refused as refused:
            return refused

    return _database(run)


@officer_app.command("invite")
def officer_invite(
    unit: Annotated[
        str | None,
        typer.Option(help="Commune code, or a unit code from `unit list` (officers only)"),
    ] = None,
    role: Annotated[
        str, typer.Option(help="officer, or admin (of the province, or of the --unit commune)")
    ] = "officer",
) -> None:
    """Print a one-time code (valid 7 days) that makes its sender an officer or admin."""
    from handlers.actions import Refused
    from handlers.actions import staff as act
    from storage.models import StaffRole

    if role not in {r.value for r in StaffRole}:
        raise _fail("role must be officer or admin")
    if role == StaffRole.OFFICER and unit is None:
        raise _fail("an officer needs --unit")
    done = _act(lambda work, actor: act.invite(work, actor, role=StaffRole(role), scope=unit))
    if isinstance(done, Refused):
        raise _fail(
            f"unknown commune or unit {unit!r} (see `unit list`); an admin's scope is the "
            "province or a commune"
        )
    typer.echo(f"code: {done.code}  (valid 7 days, once)")
    typer.echo(f"makes: {done.role.value} of {done.scope}")
    typer.echo(f"the officer sends:  /officer {done.code}")
    typer.echo(f"or opens:  https://t.me/<bot username>?start=o_{done.code}")


@officer_app.command("invites")
def officer_invites() -> None:
    """Open invites: id, role, scope, until when (the codes themselves are not kept)."""
    from handlers.actions import staff as act

    for found in _act(act.invites):
        i = found.invite
        typer.echo(f"{i.id}\t{i.role}\t{found.scope}\tuntil {i.expires_at:%Y-%m-%d %H:%M} UTC")


@officer_app.command("cancel-invite")
def officer_cancel_invite(
    invite_id: Annotated[int, typer.Argument(help="Id from `officer invites`")],
) -> None:
    """End an open invite at once."""
    from handlers.actions import Refused
    from handlers.actions import staff as act

    if isinstance(_act(lambda work, actor: act.cancel_invite(work, actor, invite_id)), Refused):
        raise _fail(f"no open invite {invite_id}", 1)
    typer.echo(f"invite {invite_id} cancelled")


@officer_app.command("list")
def officer_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked roles")] = False,
) -> None:
    """Officers and admins: id, name, role, scope, since when."""
    from handlers.actions import staff as act

    def rows(work, actor):
        return act.people(work, actor, include_revoked=all_)

    for member in _act(rows):
        s = member.role
        ended = f"  revoked {s.revoked_at:%Y-%m-%d}" if s.revoked_at else ""
        name = member.name or "(not registered)"
        typer.echo(
            f"{s.id}\t{name}\tuser {s.user_id}\t{s.role}\t{member.scope}"
            f"\tsince {s.granted_at:%Y-%m-%d}{ended}"
        )


@officer_app.command("revoke")
def officer_revoke(
    staff_id: Annotated[int, typer.Argument(help="Id from `officer list`")],
) -> None:
    """End a role at once."""
    from handlers.actions import Refused
    from handlers.actions import staff as act

    if isinstance(_act(lambda work, actor: act.revoke(work, actor, staff_id)), Refused):
        raise _fail(f"no active role {staff_id}", 1)
    typer.echo(f"role {staff_id} revoked")


@review_app.command("reopen")
def review_reopen(
    assessment_id: Annotated[int, typer.Argument(help="The self-assessment's id")],
    reason: Annotated[str, typer.Option(help="Why; the citizen is told it")],
) -> None:
    """Take back an approval or a rejection: the case waits for a decision again, an
    approval's certificate is revoked, and the citizen is told why."""
    from handlers.actions import Reason, Refused
    from handlers.actions import review as act

    done = _act(lambda work, actor: act.reopen(work, actor, assessment_id, reason=reason))
    if isinstance(done, Refused):
        if done.reason == Reason.NOTE_TOO_SHORT:
            raise _fail("give a --reason (a few words)")
        raise _fail(
            f"self-assessment {assessment_id} is not approved or rejected"
            if done.reason == Reason.NOT_DECIDED
            else f"no self-assessment {assessment_id}",
            1,
        )
    revoked = done.certificate
    typer.echo(
        f"self-assessment {assessment_id} reopened (was {done.previous.value})"
        + (f"; certificate {revoked.number} revoked" if revoked else "")
    )


def _certificates():
    from bot.certificates import Certificates

    settings = Settings()
    return Certificates.of(settings, _content(settings))


@certificate_app.command("verify")
def certificate_verify(
    code: Annotated[str, typer.Argument(help="The code printed on the certificate")],
) -> None:
    """Whether a certificate is valid (exit 0), or revoked or unknown (exit 1)."""
    certificates = _certificates()

    async def action(session):
        return await certificates.verify(session, code)

    verdict = _database(action)
    if verdict is None:
        raise _fail(f"no certificate with code {code!r}", 1)
    typer.echo(f"name: {verdict.name}")
    typer.echo(f"commune: {verdict.commune}")
    typer.echo(f"year: {verdict.year}")
    if verdict.valid:
        typer.echo("status: valid")
        return
    typer.echo(f"status: REVOKED on {verdict.revoked_on:%Y-%m-%d} ({verdict.revoke_reason})")
    raise typer.Exit(1)


@certificate_app.command("revoke")
def certificate_revoke(
    code: Annotated[str, typer.Argument(help="The code printed on the certificate")],
    reason: Annotated[str, typer.Option(help="Why; the holder is told it")],
) -> None:
    """Revoke a certificate: verification then says so, it is never sent again, reports
    leave it out, and the holder is told why."""
    from handlers.actions import Reason, Refused
    from handlers.actions import certificates as act

    done = _act(lambda work, actor: act.revoke(work, actor, code, reason))
    if isinstance(done, Refused):
        if done.reason == Reason.NOTE_TOO_SHORT:
            raise _fail("give a --reason (a few words)")
        raise _fail(
            "it was revoked before"
            if done.reason == Reason.DECIDED
            else f"no certificate with code {code!r}",
            1,
        )
    typer.echo(f"certificate {done.certificate.number} revoked")


@certificate_app.command("list")
def certificate_list(
    year: Annotated[int, typer.Option(help="The assessed year")],
) -> None:
    """The year's certificates: number, code, name, commune, status."""
    from storage.repositories import certificates as repository

    certificates = _certificates()

    async def action(session):
        return [
            (
                c.number,
                repository.shown_code(c.code),
                c.full_name,
                certificates.commune_name(c.commune_code),
                "revoked" if c.revoked_at else "valid",
            )
            for c in await repository.of_year(session, year)
        ]

    for row in _database(action):
        typer.echo("\t".join(row))


@broadcast_app.command("create")
def broadcast_create(
    text: Annotated[str | None, typer.Option(help="The message")] = None,
    file: Annotated[Path | None, typer.Option(help="A UTF-8 text file holding the message")] = None,
    unit: Annotated[
        list[str] | None, typer.Option(help="Commune code or unit code; repeat for several")
    ] = None,
    group: Annotated[list[str] | None, typer.Option(help="Target group id, e.g. residents")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="This year's assessment: none (not started; includes people who consented "
            "but have not finished registering), draft, submitted, ..."
        ),
    ] = None,
    skills_level: Annotated[
        list[str] | None,
        typer.Option(help="Latest digital-skills level (none, basic, proficient) or unchecked"),
    ] = None,
    locale: Annotated[list[str] | None, typer.Option(help="Interface language: vi or en")] = None,
    active_since: Annotated[
        str | None, typer.Option(help="Only people active since this day (YYYY-MM-DD)")
    ] = None,
) -> None:
    """Make a draft broadcast; options narrow whom it reaches (several values of one option:
    any of them; several options: all of them). Prints its id and the recipient count."""
    from bot.broadcast_cli import OptionError, message, refusal, segment
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act

    try:
        body = message(text, file)
    except OptionError as exc:
        raise _fail(str(exc)) from None

    async def action(work, actor):
        chosen = await segment(
            work.session,
            work.content,
            units=unit or [],
            groups=group or [],
            statuses=status or [],
            skills=skills_level or [],
            locales=locale or [],
            active_since=active_since,
            now=work.now,
        )
        return await act.create(work, actor, text=body, segment=chosen)

    try:
        made = _act(action)
    except OptionError as exc:
        raise _fail(str(exc)) from None
    if isinstance(made, Refused):
        raise _fail(*refusal(made, None, text=body))
    broadcast_id = made.id
    typer.echo(f"broadcast {broadcast_id} created (draft)")
    broadcast_preview(broadcast_id)
    typer.echo(f"send it with: python -m bot broadcast send {broadcast_id} [--at TIME]")


@broadcast_app.command("preview")
def broadcast_preview(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")]) -> None:
    """Whom it reaches, how many will receive it, and the message as they read it."""
    from bot.broadcast_cli import describe
    from handlers.flows.broadcast import message_text
    from handlers.i18n import Translator, load_catalogs
    from storage.repositories import broadcasts, segments

    async def action(session):
        found = await broadcasts.get(session, broadcast_id)
        if found is None:
            return None
        chosen = broadcasts.segment_of(found)
        return found, chosen, await segments.audience(session, chosen)

    found = _database(action)
    if found is None:
        raise _fail(f"no broadcast {broadcast_id}", 1)
    b, chosen, audience = found
    typer.echo(f"broadcast {b.id} ({b.status}) to: {describe(chosen)}")
    typer.echo(
        f"recipients: {audience.reachable:,} will receive it; {audience.opted_out:,} opted out "
        f"and {audience.unreachable:,} unreachable are skipped ({audience.total:,} in the segment)"
    )
    typer.echo("---")
    typer.echo(message_text(Translator(load_catalogs(), "vi"), b.text))
    typer.echo("---")


@broadcast_app.command("send")
def broadcast_send(
    broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")],
    at: Annotated[
        str | None,
        typer.Option(help="When, in Vietnam's time: 'YYYY-MM-DD HH:MM' (default: now)"),
    ] = None,
) -> None:
    """Schedule a draft: the running workers (`worker`, `serve`, `poll`) send it from then."""
    from bot.broadcast_cli import OptionError, moment, refusal
    from bot.pushes import rules_from
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act
    from handlers.i18n import LOCAL_TZ

    try:
        when = moment(at) if at is not None else None
    except OptionError as exc:
        raise _fail(str(exc)) from None
    done = _act(lambda work, actor: act.send(work, actor, broadcast_id, when))
    if isinstance(done, Refused):
        raise _fail(*refusal(done, broadcast_id, wrong_state="only a draft can be sent"))
    assert done.send_at is not None
    typer.echo(
        f"broadcast {broadcast_id} scheduled for {done.send_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
    )
    settings = Settings()
    rules = rules_from(settings)
    if rules.quiet(done.send_at):
        typer.echo(
            f"that is in quiet hours ({settings.quiet_hours}): sending begins at "
            f"{rules.quiet_until:%H:%M}"
        )


def _change(broadcast_id: int, verb: str) -> None:
    from bot.broadcast_cli import refusal
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act

    change = {"pause": act.pause, "resume": act.resume, "cancel": act.cancel}[verb]
    done = _act(lambda work, actor: change(work, actor, broadcast_id))
    if isinstance(done, Refused):
        raise _fail(*refusal(done, broadcast_id, wrong_state=f"cannot {verb} it"))
    typer.echo(f"broadcast {broadcast_id}: {done.before} -> {done.broadcast.status}")


@broadcast_app.command("pause")
def broadcast_pause(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")]) -> None:
    """Stop sending at once (what is in flight still goes); `resume` carries on."""
    _change(broadcast_id, "pause")


@broadcast_app.command("resume")
def broadcast_resume(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")]) -> None:
    """Carry on sending a paused broadcast."""
    _change(broadcast_id, "resume")


@broadcast_app.command("cancel")
def broadcast_cancel(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")]) -> None:
    """Send no more of it."""
    _change(broadcast_id, "cancel")


@broadcast_app.command("status")
def broadcast_status(
    broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")],
    follow: Annotated[bool, typer.Option(help="Show a progress bar until it ends")] = False,
) -> None:
    """Its state and figures: sent, failed, blocked, opted out, waiting, deferred, expired."""
    from bot.broadcast_cli import follow_progress, stats_of

    if follow:
        # A bar on a terminal; elsewhere (a log, a pipe) lines as the figures change.
        lines = None if sys.stdout.isatty() else typer.echo
        if not asyncio.run(follow_progress(Settings().database_url, broadcast_id, lines=lines)):
            raise _fail(f"no broadcast {broadcast_id}", 1)
        return
    found = _database(lambda session: stats_of(session, broadcast_id))
    if found is None:
        raise _fail(f"no broadcast {broadcast_id}", 1)
    b, stats = found
    typer.echo(
        f"broadcast {b.id}: {b.status}; {stats.finished:,}/{stats.total:,} done: "
        f"sent {stats.sent:,}, failed {stats.failed:,}, blocked {stats.blocked:,}, "
        f"opted out {stats.opted_out:,}, cancelled {stats.cancelled:,}, waiting {stats.waiting:,}, "
        f"deferred until they write {stats.deferred:,}, expired {stats.expired:,}"
    )


@broadcast_app.command("list")
def broadcast_list() -> None:
    """The latest broadcasts."""
    from handlers.i18n import LOCAL_TZ
    from storage.repositories import broadcasts

    async def action(session):
        return [
            (b.id, b.status, b.created_at, " ".join(b.text.split())[:50])
            for b in await broadcasts.recent(session)
        ]

    for broadcast_id, state, created, start in _database(action):
        typer.echo(
            f"{broadcast_id}\t{state}\t{created.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}\t{start}"
        )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
