"""The deletion log as a CSV file and a PDF, for the school's records.

Both hold exactly what the page shows plus the full hashes: no image bytes, pupil names or captions.
"""

from __future__ import annotations

import csv
import io
import unicodedata

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from .deletion_log import ATTESTATION, LogRow, TripDeletionLog

COLUMNS = ("Photo", "Received", "SHA-256 of received bytes", "Fate", "Post link", "Destroyed", "Verified", "Copies")
# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Typographic characters the PDF core fonts lack, written the way a typist would.
_PLAIN = str.maketrans({
    "\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
    "\u2022": "*", "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i",
    "\u0152": "OE", "\u0153": "oe",
})
# Millimetres across a landscape A4 page inside 10 mm margins; the hash column fits 64 hex digits.
_WIDTHS = (17, 28, 93, 44, 37, 34, 12, 12)


def filename(log: TripDeletionLog, extension: str) -> str:
    return f"trip-{log.trip.id}-deletion-log.{extension}"


def safe_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def destroyed_text(log: TripDeletionLog, row: LogRow) -> str:
    if row.held:
        return f"Still held \u2014 will be destroyed by {log.when(row.held_until)}"
    return log.when(row.destroyed_at)


def attestation_line(log: TripDeletionLog) -> str:
    if log.attested_at is None or log.attested_by is None:
        return "Not yet: the trip's staff have not confirmed that their phones are clear."
    line = f"{log.attested_by.display_name} confirmed on {log.when(log.attested_at)}: \u201c{ATTESTATION}\u201d"
    if log.late_photos:
        line += f" {log.late_photos} photo(s) arrived after that, so it must be confirmed again."
    return line


def sign_off_line(log: TripDeletionLog) -> str:
    if log.signed_at is None or log.signed_by is None:
        return "Not yet signed off by a senior leader."
    return f"Signed off by {log.signed_by.display_name} on {log.when(log.signed_at)}."


def trip_dates(log: TripDeletionLog) -> str:
    first, last = log.trip.start_date, log.trip.end_date
    text = first.strftime("%a %-d %B %Y")
    return text if first == last else f"{text} to {last.strftime('%a %-d %B %Y')}"


def _facts(log: TripDeletionLog) -> list[tuple[str, str]]:
    return [
        ("School", log.school_name),
        ("Trip", log.trip.name),
        ("Dates", trip_dates(log)),
        ("Destination", log.trip.destination),
        ("Lead teacher", log.trip.lead.display_name),
        ("Photos received", str(log.received)),
        ("Posted", str(log.posted)),
        ("Not posted", str(log.not_posted)),
        ("All destroyed and verified", "yes" if log.all_settled else f"no ({log.held} still held)"),
        ("Staff confirmation", attestation_line(log)),
        ("Sign-off", sign_off_line(log)),
        ("Generated", log.when(log.generated_at)),
    ]


def _cells(log: TripDeletionLog, row: LogRow) -> tuple[str, ...]:
    return (
        row.short_id,
        log.when(row.received_at) or "unknown",
        row.sha256,
        row.fate_text,
        row.remote_url or "",
        destroyed_text(log, row),
        "yes" if row.verified else "no",
        str(row.copies),
    )


def render_csv(log: TripDeletionLog) -> str:
    """The trip's facts as label/value lines, a blank line, then one row per photo under a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in _facts(log):
        writer.writerow([safe_cell(label), safe_cell(value)])
    writer.writerow([])
    writer.writerow(COLUMNS)
    for row in log.rows:
        writer.writerow([safe_cell(cell) for cell in _cells(log, row)])
    # The byte-order mark makes Excel read the file as UTF-8, so accented names survive.
    return "\ufeff" + out.getvalue()


def latin1(text: str) -> str:
    """``text`` in the PDF core fonts' Latin-1: accents kept where possible, anything else becomes '?'."""
    out = []
    for char in text.translate(_PLAIN):
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


class _LogPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90)
        self.cell(0, 5, f"{self.footer_text}    Page {self.page_no()} of {{nb}}", align="C")


def render_pdf(log: TripDeletionLog) -> bytes:
    """The log as an A4 landscape PDF in the core Helvetica font (nothing to download or embed)."""
    pdf = _LogPDF(orientation="landscape", format="A4")
    pdf.set_title(latin1(f"Deletion log: {log.trip.name}"))
    pdf.set_creator("tripposter")
    generated = log.when(log.generated_at)
    pdf.footer_text = latin1(f"{log.school_name} - deletion log for {log.trip.name} - generated {generated}")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "Photo deletion log", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _write_facts(pdf, log)
    _write_table(pdf, log)
    return bytes(pdf.output())


def _write_facts(pdf: FPDF, log: TripDeletionLog) -> None:
    for label, value in _facts(log):
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(48, 5, latin1(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, latin1(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _write_table(pdf: FPDF, log: TripDeletionLog) -> None:
    if not log.rows:
        pdf.set_font("Helvetica", "I", 10)
        pdf.cell(0, 6, "No photos were received for this trip.")
        return
    pdf.set_font("Helvetica", size=7)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 230, 238))
    with pdf.table(col_widths=_WIDTHS, width=sum(_WIDTHS), align="LEFT", text_align="LEFT", headings_style=heading,
                   line_height=4, padding=1, repeat_headings=1) as table:
        table.row(COLUMNS)
        for row in log.rows:
            cells = table.row()
            for index, value in enumerate(_cells(log, row)):
                # Monospace keeps the 64 hex digits on one line and easy to compare by eye.
                style = FontFace(family="Courier", size_pt=6.5) if index == 2 else None
                cells.cell(latin1(value), style=style)
