"""`python -m bot broadcast ...`: one text to a segment of people."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, run_action, with_database
from bot.settings import Settings

broadcast_app = typer.Typer(
    help="Broadcasts: one text to a segment of people, sent by the running workers.",
    no_args_is_help=True,
)


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
    from bot.cli.broadcast_options import OptionError, message, refusal, segment
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act

    try:
        body = message(text, file)
    except OptionError as exc:
        raise fail(str(exc)) from None

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
        made = run_action(action)
    except OptionError as exc:
        raise fail(str(exc)) from None
    if isinstance(made, Refused):
        raise fail(*refusal(made, None, text=body))
    broadcast_id = made.id
    typer.echo(f"broadcast {broadcast_id} created (draft)")
    broadcast_preview(broadcast_id)
    typer.echo(f"send it with: python -m bot broadcast send {broadcast_id} [--at TIME]")


@broadcast_app.command("preview")
def broadcast_preview(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id")]) -> None:
    """Whom it reaches, how many will receive it, and the message as they read it."""
    from bot.cli.broadcast_options import describe
    from handlers.flows.broadcast import message_text
    from handlers.i18n import Translator, load_catalogs
    from storage.repositories import broadcasts, segments

    async def action(session):
        found = await broadcasts.get(session, broadcast_id)
        if found is None:
            return None
        chosen = broadcasts.segment_of(found)
        return found, chosen, await segments.audience(session, chosen)

    found = with_database(action)
    if found is None:
        raise fail(f"no broadcast {broadcast_id}", 1)
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
    from bot.cli.broadcast_options import OptionError, moment, refusal
    from bot.pushes import rules_from
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act
    from handlers.i18n import LOCAL_TZ

    try:
        when = moment(at) if at is not None else None
    except OptionError as exc:
        raise fail(str(exc)) from None
    done = run_action(lambda work, actor: act.send(work, actor, broadcast_id, when))
    if isinstance(done, Refused):
        raise fail(*refusal(done, broadcast_id, wrong_state="only a draft can be sent"))
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
    from bot.cli.broadcast_options import refusal
    from handlers.actions import Refused
    from handlers.actions import broadcasts as act

    change = {"pause": act.pause, "resume": act.resume, "cancel": act.cancel}[verb]
    done = run_action(lambda work, actor: change(work, actor, broadcast_id))
    if isinstance(done, Refused):
        raise fail(*refusal(done, broadcast_id, wrong_state=f"cannot {verb} it"))
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
    from bot.cli.broadcast_options import follow_progress, stats_of

    if follow:
        # A bar on a terminal; elsewhere (a log, a pipe) lines as the figures change.
        lines = None if sys.stdout.isatty() else typer.echo
        if not asyncio.run(follow_progress(Settings().database_url, broadcast_id, lines=lines)):
            raise fail(f"no broadcast {broadcast_id}", 1)
        return
    found = with_database(lambda session: stats_of(session, broadcast_id))
    if found is None:
        raise fail(f"no broadcast {broadcast_id}", 1)
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

    for broadcast_id, state, created, start in with_database(action):
        typer.echo(
            f"{broadcast_id}\t{state}\t{created.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}\t{start}"
        )
