"""`python -m bot paper ...`: paper self-assessments a village branch collects: the XLSX
template to fill in, its import (checked whole first; all or nothing unless
--skip-invalid), and an admin's allowance for a scope's only officer to decide the forms
they entered."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.progress import Progress

paper_app = typer.Typer(
    help="Paper self-assessments: the XLSX template, its import.", no_args_is_help=True
)

BATCH = 1000  # forms per call of the action: the progress bar moves between them


def _today() -> datetime:
    from handlers.i18n import LOCAL_TZ
    from storage.models import utcnow

    return utcnow().astimezone(LOCAL_TZ)


@paper_app.command("template")
def template(
    unit: Annotated[str, typer.Option(help="Commune code, or a unit code from `unit list`")],
    out: Annotated[Path, typer.Option(help="The workbook to write (.xlsx)")],
    group: Annotated[
        str | None, typer.Option(help="One target group (its id): short titles and dropdowns")
    ] = None,
) -> None:
    """Write the XLSX template a branch fills in: one row per person."""
    from bot.cli.common import deployment_content, fail, with_database
    from bot.documents.paper_xlsx import Place
    from bot.documents.paper_xlsx import template as write
    from storage.repositories import staff

    content = deployment_content()
    year = _today().year
    groups = content.groups(year)

    async def place(session):
        if "-" in unit:
            found = await staff.unit_by_code(session, unit)
            if found is None:
                return None
            kinds = content.routing.groups_for(found.kind)
            return found.commune_code, [found.name], [g for g in groups if g.id in kinds]
        return unit, [u.name for u in await staff.units(session, unit)], groups

    found = with_database(place)
    commune = content.units.get(found[0]) if found else None
    if found is None or commune is None:
        raise fail(f"unknown commune or unit {unit!r} (see `unit list`)")
    chosen = found[2]
    if group is not None:
        chosen = [g for g in groups if g.id == group]
        if not chosen:
            raise fail(f"unknown group {group!r}: one of {', '.join(g.id for g in groups)}")
    write(Place(commune.code, commune.name, found[1], chosen or groups), out)
    typer.echo(f"written {out}")


@paper_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A filled template (.xlsx)", exists=True)],
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing")] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(help="Write the valid rows; the rejected ones go to --rejects with reasons"),
    ] = False,
    matched: Annotated[
        str,
        typer.Option(
            help="A row of someone already entered this year, differently: skip (keep what is "
            "recorded), update (their paper record takes the row) or new (a different person)"
        ),
    ] = "skip",
    rejects: Annotated[
        Path | None, typer.Option(help="Where --skip-invalid writes the rejected rows")
    ] = None,
    by: Annotated[
        int | None,
        typer.Option(
            help="The user id of the officer who collected the forms: their scope applies and "
            "they may not decide these forms (default: the operator, for the province)"
        ),
    ] = None,
) -> None:
    """Import a village's paper forms as submissions waiting for verification. Every row
    is checked first; nothing is written unless all are valid (or --skip-invalid).
    Importing the same file again changes nothing."""
    from bot.cli.audit import note
    from bot.cli.common import deployment_content, fail, with_database
    from bot.documents.paper_xlsx import read
    from bot.documents.paper_xlsx import rejects as write_rejects
    from handlers.actions import Actor, Refused, Work
    from handlers.actions import paper as act
    from handlers.i18n import Translator, load_catalogs
    from storage.models import utcnow

    if matched not in {c.value for c in act.Choice}:
        raise fail("--matched is skip, update or new")
    content, catalogs = deployment_content(), load_catalogs()
    t = Translator(catalogs, "vi")
    with _progress() as bar:
        task = bar.add_task("Đọc và kiểm tra", total=None)
        found = read(content, file, _today().date(), t, lambda: bar.advance(task))
    for problem in found.problems + [p for row in found.invalid for p in row.problems]:
        typer.echo(problem)
    if found.problems:
        raise typer.Exit(1)
    valid, invalid = found.valid, found.invalid
    typer.echo(f"{len(valid)} valid rows, {len(invalid)} with problems")
    if invalid and not skip_invalid:
        typer.echo("nothing written: fix the rows above, or use --skip-invalid", err=True)
        raise typer.Exit(1)
    if invalid:
        path = rejects or file.with_name(f"{file.stem}-loi.xlsx")
        write_rejects(found, path)
        typer.echo(f"rejected rows written to {path}")
    if dry_run:
        typer.echo("dry run: nothing written")
        return
    entries = found.entries()

    async def run(session):
        work = Work(session, content, catalogs, utcnow())
        actor = Actor.operator() if by is None else Actor(by, "cli")
        done: list[act.Entered] = []
        with _progress() as bar:
            task = bar.add_task("Ghi vào cơ sở dữ liệu", total=len(entries))
            for start in range(0, len(entries), BATCH):
                chunk = entries[start : start + BATCH]
                done += await act.enter_many(
                    work, actor, chunk, choice=act.Choice(matched), tell=False
                )
                bar.advance(task, len(chunk))
        await act.tell_deciders(work, actor, done)
        counts = {o.value: sum(d.outcome == o for d in done) for o in act.Outcome}
        await note(session, "paper.imported", None, file=file.name, **counts)
        return done, counts

    try:
        done, counts = with_database(run)
    except Refused as refused:
        raise fail(f"refused: {refused.reason.value}", 1) from None
    for row, entered in zip(valid, done, strict=True):
        if entered.outcome == act.Outcome.REFUSED:
            typer.echo(f"row {row.number}: not written ({entered.reason})")
    typer.echo(", ".join(f"{n} {outcome}" for outcome, n in counts.items()))


@paper_app.command("sole-officer")
def sole_officer(
    staff_id: Annotated[int, typer.Argument(help="The officer's role id from `officer list`")],
    end: Annotated[bool, typer.Option("--end", help="Take the allowance back")] = False,
) -> None:
    """Let the only officer of a unit or commune decide the paper forms they entered
    themselves (audited); it lapses once a second officer joins."""
    from bot.cli.common import fail, run_action
    from handlers.actions import Refused
    from handlers.actions import staff as act

    done = run_action(lambda work, actor: act.allow_sole(work, actor, staff_id, not end))
    if isinstance(done, Refused):
        raise fail(
            f"role {staff_id} is not an active officer"
            if done.reason != "not_sole"
            else f"role {staff_id} is not the only officer of its unit or commune",
            1,
        )
    typer.echo(f"role {staff_id}: {'may no longer' if end else 'may'} decide forms they entered")


def _progress() -> Progress:
    # Loaded here, not with the commands: every long-running process imports them all.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )
