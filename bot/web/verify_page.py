"""The page a certificate's QR code opens: whether it is valid, with only the holder's name,
commune, year and status. Vietnamese by default, `?lang=en` for English. Every value is
escaped; the page is not to be cached or indexed (it names a person)."""

from __future__ import annotations

from html import escape

from bot.documents.certificates import Verdict
from handlers.i18n import LANGUAGE_NAMES, LOCALES, Translator

HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem;
background:#f6f4ef;color:#212529;line-height:1.5}
main{max-width:32rem;margin:1rem auto;background:#fff;border-top:6px solid #991b1e;
border-radius:8px;padding:1.25rem 1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.2rem;margin:0 0 1rem}
.status{font-size:1.3rem;font-weight:700;margin:0 0 1rem}
.valid{color:#146c2e}.revoked,.unknown{color:#991b1e}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0 0 1rem}
dt{color:#5c636a}dd{margin:0;font-weight:600}
nav{font-size:.9rem}
"""


def page(t: Translator, verdict: Verdict | None) -> str:
    title = t._("Xác thực giấy chứng nhận Công dân học tập")
    if verdict is None:
        body = _paragraph(
            "status unknown",
            t._("Không tìm thấy giấy chứng nhận có mã này. Anh/Chị kiểm tra lại mã in trên giấy."),
        )
    else:
        if verdict.valid:
            body = _paragraph("status valid", t._("Giấy chứng nhận còn hiệu lực."))
            status = t._("Còn hiệu lực")
        else:
            body = _paragraph(
                "status revoked",
                t._("Giấy chứng nhận này đã bị thu hồi và không còn giá trị."),
            )
            status = t._("Đã bị thu hồi")
        rows = [
            (t._("Họ và tên"), verdict.name),
            (t._("Xã/phường"), verdict.commune),
            (t._("Năm"), str(verdict.year)),
            (t._("Trạng thái"), status),
        ]
        body += "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        body += "</dl>"
    switch = " · ".join(
        f'<a href="?lang={code}" hreflang="{code}">{escape(LANGUAGE_NAMES[code])}</a>'
        for code in LOCALES
        if code != t.locale
    )
    return (
        f'<!doctype html><html lang="{t.locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}<nav>{switch}</nav></main></body></html>"
    )


def _paragraph(css: str, text: str) -> str:
    return f'<p class="{css}">{escape(text)}</p>'
