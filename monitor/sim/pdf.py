"""A small, valid PDF of a report's pages, what ``/reports/{linkId}`` answers by default.

One PDF page per page of text, each line drawn in Helvetica with WinAnsi encoding (so curly
quotes survive), objects and cross-reference table laid out by hand: no library needed, and
any PDF reader opens it.
"""

from __future__ import annotations

from collections.abc import Sequence

_TOP, _LEADING, _LEFT, _SIZE = 800, 16, 40, 9


def pdf_document(pages: Sequence[Sequence[str]], title: str = "") -> bytes:
    objects: list[bytes] = []  # object n is objects[n - 1]
    page_ids = [3 + 2 * index for index in range(len(pages))]
    font_id = 3 + 2 * len(pages)
    info_id = font_id + 1
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{number} 0 R" for number in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for page_id, lines in zip(page_ids, pages, strict=True):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {page_id + 1} 0 R"
            f" /Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        stream = _content(lines)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(b"<< /Title " + _string(title) + b" /Producer (cqc-monitor simulator) >>")
    return _assemble(objects, info_id)


def _content(lines: Sequence[str]) -> bytes:
    parts = [b"BT", b"/F1 %d Tf" % _SIZE, b"%d TL" % _LEADING, b"%d %d Td" % (_LEFT, _TOP)]
    for line in lines:
        parts.append(_string(line) + b" '")
    parts.append(b"ET")
    return b"\n".join(parts)


def _string(text: str) -> bytes:
    encoded = text.encode("cp1252", errors="replace")
    escaped = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _assemble(objects: list[bytes], info_id: int) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, info_id)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
