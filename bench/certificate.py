"""Making one certificate PDF (wording, embedded font subset, QR code), the CPU work each
approval's certificate costs the delivery worker's thread when it is sent.

    python bench/certificate.py [--count 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from bot.documents.certificate_pdf import render
from bot.documents.certificates import Certificates
from content import load_content
from storage.models import Certificate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50)
    count = parser.parse_args().count
    content = load_content()
    office = Certificates(
        content, issuer="Hội Khuyến học thành phố Đà Nẵng", public_url="https://cdht.example.vn"
    )
    certificate = Certificate(
        code="ABCD2345EFGH",
        number="48-2026-000001",
        full_name="Trần Thị Bích Ngọc",
        birth_year=1968,
        commune_code="20242",
        target_group="residents",
        year=2026,
        total=87,
        issued_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
    )
    sheet = office.sheet(certificate)
    render(content.certificate, sheet)  # warm: first use loads the libraries
    times = []
    for _ in range(count):
        start = time.perf_counter()
        pdf = render(content.certificate, sheet)
        times.append(time.perf_counter() - start)
    print(
        f"certificate PDF: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {count}; {len(pdf) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
