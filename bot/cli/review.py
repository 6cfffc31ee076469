"""`python -m bot review ...`: decisions on self-assessments."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail, run_action

review_app = typer.Typer(help="Decisions on self-assessments.", no_args_is_help=True)


@review_app.command("reopen")
def review_reopen(
    assessment_id: Annotated[int, typer.Argument(help="The self-assessment's id")],
    reason: Annotated[str, typer.Option(help="Why; the citizen is told it")],
) -> None:
    """Take back an approval or a rejection: the case waits for a decision again, an
    approval's certificate is revoked, and the citizen is told why."""
    from handlers.actions import Reason, Refused
    from handlers.actions import review as act

    done = run_action(lambda work, actor: act.reopen(work, actor, assessment_id, reason=reason))
    if isinstance(done, Refused):
        if done.reason == Reason.NOTE_TOO_SHORT:
            raise fail("give a --reason (a few words)")
        raise fail(
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
