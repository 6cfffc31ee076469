"""Paper forms in the console: an officer copies one form (checked, then a summary to
confirm, then saved as a submission waiting for another officer), or uploads a village's
filled workbook (the command line's `paper import`: the same checks, the same errors).
Every rule is the action's (handlers/actions/paper.py) and the form reader's
(handlers/paper_form.py)."""

from __future__ import annotations

import asyncio
import base64
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents import personal_files
from bot.web.console import render
from bot.web.console.auth import see_other
from bot.web.console.config import config, viewer, work
from bot.web.console.places import places
from handlers import paper_form
from handlers.actions import Reason, Refused, claims
from handlers.actions import paper as act
from handlers.i18n import LOCAL_TZ, N_
from storage.models import Assessment

if TYPE_CHECKING:
    from bot.documents.paper_xlsx import Read

NOT_STAFF = N_("Trang này dành cho cán bộ xác minh.")
OUT_OF_SCOPE = N_("Người này không thuộc phạm vi Anh/Chị phụ trách.")
LOCKED = N_(
    "Không cập nhật được: người này đã tự làm qua trò chuyện, hoặc bản của họ đã có quyết định."
)
MAX_UPLOAD = 20 * 1024 * 1024  # bytes: a village's workbook is far smaller
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHOICES = {
    act.Choice.UPDATE: N_("Đúng là người này: cập nhật theo phiếu"),
    act.Choice.SKIP: N_("Bỏ qua phiếu này"),
    act.Choice.NEW: N_("Người khác, trùng tên và năm sinh: nhập thành người mới"),
}
OUTCOMES = {
    act.Outcome.CREATED: N_("nhập mới"),
    act.Outcome.UPDATED: N_("cập nhật"),
    act.Outcome.UNCHANGED: N_("đã có, không đổi"),
    act.Outcome.SKIPPED: N_("bỏ qua"),
    act.Outcome.REFUSED: N_("không nhập được"),
}


def _today(request: web.Request) -> Any:
    return config(request).clock().astimezone(LOCAL_TZ).date()


def _written(form: MultiMapping[Any]) -> paper_form.Written:
    return paper_form.Written(
        full_name=form.get("name", ""),
        birth_year=form.get("birth_year", ""),
        group=form.get("group", ""),
        commune=form.get("commune", ""),
        place=form.get("place", ""),
        form_date=form.get("form_date", ""),
        answers={k: v for k, v in form.items() if k.startswith("I")},
        note=form.get("note", ""),
    )


async def _entry(
    request: web.Request,
    form: MultiMapping[Any] | None = None,
    *,
    problems: list[paper_form.Problem] = (),  # type: ignore[assignment]
    checked: act.Checked | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    cfg, who = config(request), viewer(request)
    values: dict[str, Any] = dict(form or request.query)
    year = _today(request).year
    groups = cfg.content.groups(year)
    group = next((g for g in groups if g.id == values.get("group")), groups[0])
    async with cfg.sessions() as db:
        where = await places(db, cfg.content, who)
    communes = [(code, name) for code, name in where.choices if "-" not in code]
    units = [name.removeprefix("— ") for code, name in where.choices if "-" in code]
    saved = request.query.get("saved", "")
    return render.page(
        request,
        "paper.html",
        {
            "values": values,
            "groups": groups,
            "group": group,
            "communes": communes,
            "units": units,
            "problems": {p.field: paper_form.describe(who.t, p) for p in problems},
            "columns": {k: paper_form.column_of(k) for k in (*paper_form.COLUMNS, "note")},
            "checked": checked,
            "choices": {c.value: who.t._(text) for c, text in CHOICES.items()},
            "error": error,
            "saved": int(saved) if saved.isdigit() else None,
            "places": where.choices,
        },
        status=status,
    )


async def page(request: web.Request) -> web.Response:
    if not viewer(request).roles:
        return _not_staff(request)
    return await _entry(request)


async def check(request: web.Request) -> web.Response:
    """The form read and checked: its problems next to the fields, or its summary."""
    return await _submit(request, save=False)


async def save(request: web.Request) -> web.Response:
    return await _submit(request, save=True)


async def _submit(request: web.Request, *, save: bool) -> web.Response:
    cfg, who = config(request), viewer(request)
    form = await request.post()
    read = paper_form.read(cfg.content, _written(form), _today(request))
    if isinstance(read, list):
        return await _entry(request, form, problems=read, status=400)
    choice = str(form.get("choice", ""))
    scan = form.get("scan") if save else None
    if not isinstance(scan, web.FileField) or not scan.filename or cfg.scans is None:
        scan = None
    elif _scan_type(scan) is None:
        return await _entry(request, form, error=who.t._(BAD_SCAN), status=400)
    async with cfg.sessions() as db, db.begin():
        w = work(request, db)
        try:
            if not save:
                checked = await act.check(w, who.actor, read)
                failure = None
            else:
                entered = await act.enter(w, who.actor, read, choice=_choice(choice))
                failure = None
                saved = entered.outcome in (act.Outcome.CREATED, act.Outcome.UPDATED)
                if scan is not None and saved and entered.assessment_id is not None:
                    item = await _keep_scan(request, db, entered.assessment_id, scan)
                    await act.attach_scan(w, who.actor, entered.assessment_id, item)
        except Refused as refused:
            failure = refused
    if failure is not None:
        if failure.reason == Reason.NOT_STAFF:
            return _not_staff(request)
        if failure.reason == Reason.MATCHED:  # no choice made: the summary asks for one
            return await _submit(request, save=False)
        message = OUT_OF_SCOPE if failure.reason == Reason.OUT_OF_SCOPE else LOCKED
        return await _entry(request, form, error=who.t._(message), status=409)
    if not save:
        return await _entry(request, form, checked=checked)
    return see_other(f"/web/paper?saved={entered.assessment_id or ''}")


# The photo or scan of a form: a picture or a PDF, as a phone or a scanner makes it.
SCANS = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MAX_SCAN = 10 * 1024 * 1024  # bytes
BAD_SCAN = N_("Ảnh chụp phiếu phải là tệp JPG, PNG hoặc PDF, tối đa 10 MB.")


def _scan_type(scan: web.FileField) -> str | None:
    """The scan's extension when its name and type are of an accepted kind and it is not
    too big."""
    extension = Path(scan.filename).suffix.lower().removeprefix(".")
    mime = SCANS.get(extension)
    if mime is None or scan.content_type not in (mime, "application/octet-stream"):
        return None
    scan.file.seek(0, 2)
    size = scan.file.tell()
    scan.file.seek(0)
    return extension if 0 < size <= MAX_SCAN else None


async def _keep_scan(
    request: web.Request, db: AsyncSession, assessment_id: int, scan: web.FileField
) -> dict[str, Any]:
    """The scan written into its person's folder, and its reference as evidence."""
    cfg = config(request)
    assert cfg.scans is not None
    extension = _scan_type(scan) or "pdf"
    user_id = await db.scalar(select(Assessment.user_id).where(Assessment.id == assessment_id))
    path = personal_files.folder(cfg.scans, user_id) / f"phieu-giay-{assessment_id}.{extension}"
    data = scan.file.read()

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    await asyncio.to_thread(write)
    return {
        "ref": str(path),
        "mime": SCANS[extension],
        "size": len(data),
        "name": path.name,
        "kind": "document" if extension == "pdf" else "photo",
        "channel": "console",
        "at": cfg.clock().isoformat(),
    }


def _choice(value: str) -> act.Choice | None:
    return act.Choice(value) if value in {c.value for c in act.Choice} else None


def _not_staff(request: web.Request) -> web.Response:
    t = viewer(request).t
    return render.page(request, "refused.html", {"reason": t._(NOT_STAFF)}, status=403)


async def upload_page(request: web.Request) -> web.Response:
    if not viewer(request).roles:
        return _not_staff(request)
    return render.page(request, "paper_import.html", {"result": None})


async def upload(request: web.Request) -> web.Response:
    """A filled workbook: checked whole, written only when every row is valid (or the
    valid ones, when asked), as `paper import` does."""
    cfg, who = config(request), viewer(request)
    if not who.roles:
        return _not_staff(request)
    form = await request.post()
    file = form.get("file")
    data = file.file.read(MAX_UPLOAD + 1) if isinstance(file, web.FileField) else b""
    options = {k: form.get(k) == "on" for k in ("dry_run", "skip_invalid")}
    choice = _choice(str(form.get("matched", ""))) or act.Choice.SKIP
    # The workbooks' and PDFs' libraries load when a page first uses them: every process
    # that serves the console would hold them otherwise (tests/bot/test_imports.py).
    from bot.documents import paper_xlsx

    try:
        found = paper_xlsx.read(cfg.content, data, _today(request), who.t)
    except Exception:  # whatever openpyxl cannot open is no workbook of ours
        found = None
    context: dict[str, Any] = {"options": options, "matched": choice.value}
    if found is None or len(data) > MAX_UPLOAD:
        context["result"] = {"problems": [who.t._("Tệp không đọc được: cần tệp .xlsx theo mẫu.")]}
        return render.page(request, "paper_import.html", context, status=400)
    problems = found.problems + [p for row in found.invalid for p in row.problems]
    result: dict[str, Any] = {
        "problems": problems,
        "valid": len(found.valid),
        "invalid": len(found.invalid),
        "written": False,
    }
    context["result"] = result
    if found.invalid:
        result["rejects"] = _rejects_link(found)
        result["rejects_name"] = f"{Path(getattr(file, 'filename', '') or 'phieu').stem}-loi.xlsx"
    blocked = bool(found.problems) or (found.invalid and not options["skip_invalid"])
    if blocked or options["dry_run"]:
        return render.page(request, "paper_import.html", context, status=400 if blocked else 200)
    async with cfg.sessions() as db, db.begin():
        try:
            done = await act.enter_many(
                work(request, db), who.actor, found.entries(), choice=choice
            )
        except Refused:
            return _not_staff(request)
    result["written"] = True
    result["outcomes"] = {
        who.t._(text): sum(d.outcome == outcome for d in done) for outcome, text in OUTCOMES.items()
    }
    # Each row not written, and why: the officer sees whom a row matched and may upload
    # again choosing otherwise for those people.
    result["refused"] = [
        (row.number, who.t._(_why(d)).format(names=", ".join(k.full_name for k in d.known)))
        for row, d in zip(found.valid, done, strict=True)
        if d.outcome in (act.Outcome.REFUSED, act.Outcome.SKIPPED)
    ]
    return render.page(request, "paper_import.html", context)


MATCHED_SKIPPED = N_(
    "đã có người trùng họ tên, năm sinh và xã/phường năm nay ({names}), hàng được bỏ qua"
)


def _why(done: act.Entered) -> str:
    if done.outcome == act.Outcome.SKIPPED:
        return MATCHED_SKIPPED
    return OUT_OF_SCOPE if done.reason == Reason.OUT_OF_SCOPE else LOCKED


NO_RECEIPTS = N_(
    "Không có ai ở nơi này đang chờ biên nhận (mọi người đã có hồ sơ trên điện thoại)."
)


async def receipts(request: web.Request) -> web.Response:
    """The claim receipts of a unit or a commune as a PDF to print, by the same action as
    `paper receipts` (fresh codes, audited)."""
    cfg, who = config(request), viewer(request)
    if not who.roles:
        return _not_staff(request)
    place = str((await request.post()).get("place", ""))
    async with cfg.sessions() as db, db.begin():
        try:
            done = await claims.receipts(work(request, db), who.actor, place, key=cfg.link_code_key)
        except Refused:
            done = None
    if done is None:
        return await _entry(request, error=who.t._(OUT_OF_SCOPE), status=404)
    if not done.slips:
        return await _entry(request, error=who.t._(NO_RECEIPTS), status=409)
    from bot.documents.receipts_pdf import receipts_pdf

    pdf = await asyncio.to_thread(receipts_pdf, done, cfg.telegram_bot)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bien-nhan-{place}.pdf"'},
    )


def _rejects_link(found: Read) -> str:
    """The rejected rows with their reasons, as `paper import --skip-invalid` writes them,
    inside the page (a data link): nothing of them is kept on the server."""
    from bot.documents import paper_xlsx

    out = BytesIO()
    paper_xlsx.rejects(found, out)
    return f"data:{XLSX};base64,{base64.b64encode(out.getvalue()).decode()}"
