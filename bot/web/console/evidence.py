"""A case's evidence files, served by the bot to a viewer who may act on the case: read from
the channel the citizen sent them on (a path here for the console channel, Telegram's file
server, Zalo's media servers) and streamed on, so the browser never learns where they came
from. Each read checks the viewer's scope again and is audited."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

from bot.channels.files import Unavailable
from bot.web.console.case import _id, refused_page
from bot.web.console.config import config, viewer, work
from handlers.actions import Refused, review

# Shown in the page as images (thumbnails that open full size); any other file but a PDF
# is a download.
INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp")


async def evidence(request: web.Request) -> web.StreamResponse:
    """One evidence file, to a viewer who may act on the submission."""
    cfg, who = config(request), viewer(request)
    indicator, position = request.match_info["indicator"], request.match_info["n"]
    async with cfg.sessions() as db, db.begin():
        try:
            case = await review.evidence(
                work(request, db), who.actor, _id(request), file=f"{indicator}/{position}"[:40]
            )
        except Refused as refused:
            return refused_page(request, refused)
    answer = next((x for x in case.assessment.answers if x.indicator_id == indicator), None)
    if answer is None or not position.isdigit() or int(position) >= len(answer.evidence):
        raise web.HTTPNotFound(text="not found")
    item = answer.evidence[int(position)]
    read = cfg.files.get(str(item.get("channel", "")))
    if read is None or "ref" not in item:
        raise web.HTTPNotFound(text="file not available here")
    chunks = read(str(item["ref"]))
    try:
        try:
            first = await anext(chunks, b"")
        except Unavailable:
            raise web.HTTPNotFound(text="file not available") from None
        response = web.StreamResponse(headers=_headers(item))
        await response.prepare(request)
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        await chunks.aclose()


def _headers(item: dict[str, object]) -> dict[str, str]:
    """The file's type as the citizen's app gave it: images and PDFs open in the browser,
    anything else is downloaded (never rendered as a page of the console)."""
    name = Path(str(item.get("name") or "minh-chung")).name
    kind = str(item.get("mime") or mimetypes.guess_type(name)[0] or "")
    inline = kind in INLINE or kind == "application/pdf"
    return {
        "Content-Type": kind if inline else "application/octet-stream",
        "Content-Disposition": "inline" if inline else "attachment",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
