"""Real PDF files for the tests: one page of text in Helvetica, written by hand."""

import io

from pypdf import PdfReader, PdfWriter


def pdf_with_text(*lines: str, password: str | None = None) -> bytes:
    """Return a one-page PDF showing lines (Windows-1252 text); encrypted with a password."""
    shown = b"".join(b"(" + _escaped(line) + b") Tj 0 -16 Td " for line in lines)
    content = b"BT /F1 12 Tf 72 770 Td " + shown + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    pdf = io.BytesIO()
    pdf.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(pdf.tell())
        pdf.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = pdf.tell()
    pdf.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    pdf.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    pdf.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    if password is None:
        return pdf.getvalue()
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.encrypt(user_password=password, algorithm="RC4-128")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    return encrypted.getvalue()


def _escaped(line: str) -> bytes:
    data = line.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
