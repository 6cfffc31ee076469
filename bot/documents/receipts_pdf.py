"""Claim receipts drawn: one slip for each person whose record an officer entered and no
chat has taken over yet, with the code that takes it over (handlers/flows/claiming.py),
several slips per A4 page, cut apart and handed out at the village meeting."""

from __future__ import annotations

from fpdf import FPDF

from bot.documents.certificate_pdf import FONT, INK, document, qr
from handlers.actions.claims import Receipt, Receipts
from handlers.i18n import Translator
from storage.repositories.claims import LINK_PREFIX, shown

PAGE_W, PAGE_H = 210.0, 297.0
COLUMNS, ROWS = 2, 4  # eight slips of 105 × 74 mm: an A4 page cut in half, then in quarters
SLIP_W, SLIP_H = PAGE_W / COLUMNS, PAGE_H / ROWS
PAD = 6.0
QR_SIZE = 28.0


def receipts_pdf(done: Receipts, bot_username: str) -> bytes:
    """The receipts as printed, in Vietnamese (the village reads them)."""
    from handlers.i18n import load_catalogs

    return render(Translator(load_catalogs(), "vi"), done.slips, bot_username)


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={LINK_PREFIX}{code}"


def render(t: Translator, slips: list[Receipt], bot_username: str) -> bytes:
    """The slips, eight to a page, with dashed lines to cut along."""
    pdf = document("P", t._("Biên nhận nhận hồ sơ Công dân học tập"))
    pdf.set_text_color(*INK)
    per_page = COLUMNS * ROWS
    for n, slip in enumerate(slips):
        if n % per_page == 0:
            pdf.add_page()
            _cut_lines(pdf)
        x = (n % COLUMNS) * SLIP_W
        y = (n % per_page) // COLUMNS * SLIP_H
        _slip(pdf, t, slip, bot_username, x, y)
    return bytes(pdf.output())


def _slip(pdf: FPDF, t: Translator, slip: Receipt, bot: str, x: float, y: float) -> None:
    width = SLIP_W - 2 * PAD
    code = shown(slip.code)
    pdf.set_xy(x + PAD, y + PAD)
    _line(pdf, t._("BIÊN NHẬN – CÔNG DÂN HỌC TẬP"), "B", 10, width)
    born = t._("sinh năm {year}").format(year=slip.birth_year) if slip.birth_year else ""
    _line(pdf, ", ".join(filter(None, [slip.full_name, born])), "B", 11, width)
    _line(pdf, slip.place, "", 8.5, width)
    pdf.ln(1)
    _line(pdf, t._("Mã nhận hồ sơ:"), "", 9, width)
    _line(pdf, code, "B", 15, width)
    pdf.ln(1)
    text_x, text_w = x + PAD, width
    if bot:
        link = deep_link(bot, slip.code)
        qr(pdf, link, x + SLIP_W - PAD - QR_SIZE, y + SLIP_H - PAD - QR_SIZE, QR_SIZE)
        text_w = width - QR_SIZE - 2
        pdf.set_x(text_x)
        _line(
            pdf,
            t._("Telegram: quét mã QR, hoặc mở {link}").format(link=link),
            "",
            7.5,
            text_w,
        )
    pdf.set_x(text_x)
    _line(
        pdf,
        t._('Zalo: mở bot của Hội Khuyến học, nhắn "nhan ho so {code}".').format(code=code),
        "",
        7.5,
        text_w,
    )
    pdf.set_x(text_x)
    _line(pdf, t._("Bot sẽ hỏi năm sinh để xác nhận."), "", 7.5, text_w)


def _line(pdf: FPDF, text: str, style: str, size: float, width: float) -> None:
    x = pdf.get_x()
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(width, size * 0.45, text, new_x="LEFT", new_y="NEXT")
    pdf.set_x(x)


def _cut_lines(pdf: FPDF) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=2)
    for c in range(1, COLUMNS):
        pdf.line(c * SLIP_W, 0, c * SLIP_W, PAGE_H)
    for r in range(1, ROWS):
        pdf.line(0, r * SLIP_H, PAGE_W, r * SLIP_H)
    pdf.set_dash_pattern()
