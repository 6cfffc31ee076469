"""Drawing the certificate: one A4 landscape page with the wording from content, a font that
covers every Vietnamese letter embedded (Be Vietnam Pro, from its PyPI package, so the PDF
looks the same on every machine), and the verification QR code drawn as vector squares.

CPU work (tens of milliseconds): callers run it in a thread.
"""

from __future__ import annotations

from collections.abc import Iterable

import fontpkg
import segno
from fpdf import FPDF

from bot.documents.certificates import Sheet, Signature
from content.certificate import CertificateWording, placeholders

FONT = "BeVietnamPro"
_FILES = {"": 400, "B": 700}
INK = (33, 37, 41)
ACCENT = (153, 27, 30)  # the dark red of Vietnamese certificates
PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 18.0
QR_SIZE = 34.0
SIGN_TOP = 128.0  # where the signature block begins, under the body
SIGN_ROOM = 24.0  # height left for the signature and seal


UNSIGNED = Signature()


def render(wording: CertificateWording, sheet: Sheet, signature: Signature = UNSIGNED) -> bytes:
    """The PDF of one certificate."""
    return render_many(wording, [sheet], signature)


def render_many(
    wording: CertificateWording, sheets: Iterable[Sheet], signature: Signature = UNSIGNED
) -> bytes:
    """One page per certificate, in one PDF (a ceremony's printing); the font is embedded
    once."""
    pdf = document("L", wording.document_title)
    for sheet in sheets:
        pdf.set_author(str(sheet.values["issuer"]))
        _page(pdf, wording, sheet, signature)
    return bytes(pdf.output())


def document(orientation: str, title: str) -> FPDF:
    """An empty A4 document in millimetres with the font (regular and bold) embedded; pages
    are placed by hand, never broken automatically."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    for style, weight in _FILES.items():
        pdf.add_font(FONT, style, str(fontpkg.path("Be Vietnam Pro", weight=weight)))
    pdf.set_lang("vi")
    pdf.set_title(title)
    pdf.set_creator("CDHT bot")
    return pdf


def _page(pdf: FPDF, wording: CertificateWording, sheet: Sheet, signature: Signature) -> None:
    values, url = sheet.values, sheet.url
    pdf.add_page()
    pdf.set_text_color(*INK)

    def fill(text: str) -> str:
        return text.format_map(values)

    _frame(pdf)
    width = (PAGE_W - 2 * MARGIN) / 2
    pdf.set_xy(MARGIN, MARGIN)
    _lines(pdf, [(str(values["issuer"]).upper(), "B", 11), (fill(wording.number), "", 10)], width)
    pdf.set_xy(MARGIN + width, MARGIN)
    _lines(pdf, [(wording.nation, "B", 11), (wording.motto, "B", 11)], width)

    body = PAGE_W - 2 * MARGIN
    pdf.set_y(50)
    pdf.set_text_color(*ACCENT)
    _lines(pdf, [(wording.title, "B", 30), (fill(wording.subtitle), "B", 15)], body)
    pdf.set_text_color(*INK)
    pdf.ln(3)
    _lines(pdf, [(fill(wording.certifies), "", 13)], body)
    pdf.ln(2)
    _lines(pdf, [(fill(wording.holder), "B", 20)], body)
    pdf.ln(1)
    details = [
        d
        for d in wording.details_for(sheet.group)
        if all(values.get(n) is not None for n in placeholders(d))
    ]
    _lines(pdf, [(fill(d), "", 13) for d in details], body)
    pdf.ln(2)
    _lines(pdf, [(fill(wording.achievement), "B", 13)], body)

    # Bottom left: the QR code and how to verify; bottom right: date, issuer, signer.
    top = PAGE_H - MARGIN - QR_SIZE - 12
    qr(pdf, url, MARGIN + 4, top)
    pdf.set_xy(MARGIN + QR_SIZE + 8, top + QR_SIZE - 15)
    _lines(pdf, [(fill(wording.code), "B", 10), (fill(wording.verify), "", 8)], 95, align="L")
    _signature(pdf, fill(wording.dated), fill(wording.signer), signature, MARGIN + width, width)
    pdf.set_xy(MARGIN, PAGE_H - MARGIN - 7)
    _lines(pdf, [(fill(wording.footnote), "", 7.5)], body)


def _signature(
    pdf: FPDF, dated: str, signer: str, signature: Signature, x: float, width: float
) -> None:
    """The date, the issuer, the signer's title, the room for the signature and seal (or
    their scan), the signer's name; centred in the right half."""
    pdf.set_xy(x, SIGN_TOP)
    head = [(dated, "", 12), (signer.upper(), "B", 12)]
    if signature.title:
        head.append((signature.title.upper(), "B", 12))
    _lines(pdf, head, width)
    room = pdf.get_y() + 1
    if signature.image is not None:
        pdf.image(str(signature.image), x=x, y=room, w=width, h=SIGN_ROOM, keep_aspect_ratio=True)
    if signature.name:
        pdf.set_xy(x, room + SIGN_ROOM + 1)
        _lines(pdf, [(signature.name, "B", 12)], width)


def _lines(pdf: FPDF, lines: list[tuple[str, str, float]], width: float, align: str = "C") -> None:
    """Centred (or left-aligned) lines from the current position, each wrapped to `width`."""
    x = pdf.get_x()
    for text, style, size in lines:
        pdf.set_font(FONT, style, size)
        pdf.set_x(x)
        pdf.multi_cell(width, size * 0.5, text, align=align, new_x="LEFT", new_y="NEXT")


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, PAGE_W - 22, PAGE_H - 22)


def qr(pdf: FPDF, url: str, x: float, y: float, size: float = QR_SIZE) -> None:
    """The QR code as filled squares (crisp at any zoom, no image to embed): each row's runs
    of dark modules become one rectangle."""
    code = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in code.matrix]
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
