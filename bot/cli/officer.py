"""`python -m bot officer ...`: officers, admins and their invites."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail, run_action

officer_app = typer.Typer(help="Officers and admins of the association.", no_args_is_help=True)


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
        raise fail("role must be officer or admin")
    if role == StaffRole.OFFICER and unit is None:
        raise fail("an officer needs --unit")
    done = run_action(lambda work, actor: act.invite(work, actor, role=StaffRole(role), scope=unit))
    if isinstance(done, Refused):
        raise fail(
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

    for found in run_action(act.invites):
        i = found.invite
        typer.echo(f"{i.id}\t{i.role}\t{found.scope}\tuntil {i.expires_at:%Y-%m-%d %H:%M} UTC")


@officer_app.command("cancel-invite")
def officer_cancel_invite(
    invite_id: Annotated[int, typer.Argument(help="Id from `officer invites`")],
) -> None:
    """End an open invite at once."""
    from handlers.actions import Refused
    from handlers.actions import staff as act

    if isinstance(
        run_action(lambda work, actor: act.cancel_invite(work, actor, invite_id)), Refused
    ):
        raise fail(f"no open invite {invite_id}", 1)
    typer.echo(f"invite {invite_id} cancelled")


@officer_app.command("list")
def officer_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked roles")] = False,
) -> None:
    """Officers and admins: id, name, role, scope, since when."""
    from handlers.actions import staff as act

    def rows(work, actor):
        return act.people(work, actor, include_revoked=all_)

    for member in run_action(rows):
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

    if isinstance(run_action(lambda work, actor: act.revoke(work, actor, staff_id)), Refused):
        raise fail(f"no active role {staff_id}", 1)
    typer.echo(f"role {staff_id} revoked")
