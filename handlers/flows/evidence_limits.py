"""Which files a citizen may send as evidence: images, PDF and common office documents, up
to a size (the deployment's settings). Anything else is refused in the person's language
before it is recorded or forwarded to an officer."""

from __future__ import annotations

from pathlib import PurePosixPath

from handlers.context import Context
from handlers.events import FileRef

# The media types each accepted extension may arrive as. A file is judged by what it says
# of itself: its name's extension and its media type must both be accepted, where given.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "webp": ("image/webp",),
    "gif": ("image/gif",),
    "heic": ("image/heic", "image/heif"),
    "heif": ("image/heif", "image/heic"),
    "pdf": ("application/pdf",),
    "doc": ("application/msword",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "xls": ("application/vnd.ms-excel",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "ppt": ("application/vnd.ms-powerpoint",),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
    "odt": ("application/vnd.oasis.opendocument.text",),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",),
    "odp": ("application/vnd.oasis.opendocument.presentation",),
}


def refusal(ctx: Context, file: FileRef) -> str | None:
    """Why this file is not taken as evidence, in the person's words; None if it is."""
    accepted = ctx.settings.evidence_types
    extension = PurePosixPath(file.name.lower()).suffix.lstrip(".") if file.name else ""
    media = file.mime.lower().split(";")[0].strip()
    allowed_media = {m for kind in accepted for m in MEDIA_TYPES.get(kind, ())}
    if (file.name and extension not in accepted) or (media and media not in allowed_media):
        return ctx._(
            "Tệp này không nhận được làm minh chứng. Bot chỉ nhận ảnh, tệp PDF và tài liệu "
            "văn phòng (Word, Excel, PowerPoint). Anh/Chị vui lòng gửi tệp khác hoặc chụp "
            "ảnh giấy tờ."
        )
    if file.size > ctx.settings.evidence_max_bytes:
        return ctx._(
            "Tệp quá lớn ({size} MB). Mỗi tệp minh chứng tối đa {limit} MB. Anh/Chị vui lòng "
            "gửi ảnh chụp hoặc tệp nhỏ hơn."
        ).format(size=_megabytes(file.size), limit=_megabytes(ctx.settings.evidence_max_bytes))
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")
