"""The deletion log as a CSV file and a PDF, for the school's records.

Both hold exactly what the page shows plus the full hashes: no image bytes, pupil names or captions.
"""

from __future__ import annotations

import csv
import io
import unicodedata

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from ..spreadsheet import safe_cell
from .rows import LogRow, TripDeletionLog
from .snapshot import Frozen, thaw
from .staff import ATTESTATION, Attestation

COLUMNS = ("Photo", "Received", "SHA-256 of received bytes", "Fate", "Post link", "Destroyed", "Verified", "Copies")
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


def destroyed_text(log: TripDeletionLog, row: LogRow) -> str:
    if row.held:
        return f"Still held \u2014 will be destroyed by {log.when(row.held_until)}"
    text = log.when(row.destroyed_at)
    if row.outbox_until is not None:
        text += f"; the outbox keeps the posted copy until {log.when(row.outbox_until)}"
    elif row.outbox_destroyed_at is not None:
        text += f"; outbox copy destroyed {log.when(row.outbox_destroyed_at)}"
    return text


def staff_line(log: TripDeletionLog, attestation: Attestation) -> str:
    """Whether one member of staff has confirmed for their own phone."""
    if attestation.at is None:
        return "Not yet confirmed."
    line = f"Confirmed on {log.when(attestation.at)}."
    if attestation.late_photos:
        line += f" {attestation.late_photos} photo(s) arrived after that, so they must confirm again."
    return line


def staff_label(attestation: Attestation) -> str:
    return f"{attestation.user.display_name}{' (lead teacher)' if attestation.is_lead else ''}"


def attestation_line(log: TripDeletionLog) -> str:
    done = sum(1 for a in log.attestations if a.valid)
    return f"{done} of {len(log.attestations)} staff have confirmed: \u201c{ATTESTATION}\u201d"


def sign_off_line(log: TripDeletionLog) -> str:
    if log.signed_at is None or log.signed_by is None:
        return "Not yet signed off by a senior leader."
    return f"Signed off by {log.signed_by.display_name} on {log.when(log.signed_at)}."


def trip_dates(log: TripDeletionLog) -> str:
    first, last = log.trip.start_date, log.trip.end_date
    text = first.strftime("%a %-d %B %Y")
    return text if first == last else f"{text} to {last.strftime('%a %-d %B %Y')}"


def live_facts(log: TripDeletionLog) -> list[tuple[str, str]]:
    return [
        ("School", log.school_name),
        ("Trip", log.trip.name),
        ("Dates", trip_dates(log)),
        ("Destination", log.trip.destination),
        ("Lead teacher", log.trip.lead.display_name),
        ("Photos received", str(log.received)),
        ("Posted", str(log.posted)),
        ("Not posted", str(log.not_posted)),
        ("Still waiting", str(log.waiting)),
        ("All destroyed and verified", "yes" if log.all_settled else f"no ({settled_gap(log)})"),
        ("Staff confirmation", attestation_line(log)),
        *((staff_label(a), staff_line(log, a)) for a in log.attestations),
        ("Sign-off", sign_off_line(log)),
    ]


def settled_gap(log: TripDeletionLog) -> str:
    gaps = [f"{log.held} still held"]
    if log.unverified:
        gaps.append(f"{log.unverified} not verified")
    if log.in_outbox:
        gaps.append(f"{log.in_outbox} posted copies still in the outbox")
    return ", ".join(gaps)


def live_cells(log: TripDeletionLog, row: LogRow) -> tuple[str, ...]:
    return (
        row.short_id,
        log.when(row.received_at) or "unknown",
        row.sha256,
        row.fate_line,
        row.all_urls,
        destroyed_text(log, row),
        "yes" if row.verified else "no",
        str(row.copies),
    )


def sheet(log: TripDeletionLog) -> tuple[list[tuple[str, str]], list[tuple[str, ...]]]:
    """The facts and rows to print: as signed when the log is signed off (with what changed since), else as now."""
    facts, rows = live_facts(log), [live_cells(log, r) for r in log.rows]
    frozen = frozen_view(log)
    if frozen is None:
        return [*facts, ("Generated", log.when(log.generated_at))], rows
    extra = [
        ("Checksum (SHA-256 of the log as signed)", f"{frozen.sha256} ({'matches' if frozen.intact else 'DOES NOT MATCH'})"),
        ("Edits after sign-off", "; ".join(frozen.edits) or "none"),
        ("Generated", log.when(log.generated_at)),
    ]
    return [*frozen.facts, *extra], frozen.rows


def frozen_view(log: TripDeletionLog) -> Frozen | None:
    """The log as signed, compared with the log as it stands now; None while it is not signed off."""
    if not log.signed or log.snapshot is None or log.snapshot_sha256 is None:
        return None
    return thaw(log.snapshot, log.snapshot_sha256, live_facts(log), [live_cells(log, r) for r in log.rows])


def render_csv(log: TripDeletionLog) -> str:
    """The trip's facts as label/value lines, a blank line, then one row per photo under a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    facts, rows = sheet(log)
    for label, value in facts:
        writer.writerow([safe_cell(label), safe_cell(value)])
    writer.writerow([])
    writer.writerow(COLUMNS)
    for cells in rows:
        writer.writerow([safe_cell(cell) for cell in cells])
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
    for label, value in sheet(log)[0]:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(48, 5, latin1(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, latin1(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _write_table(pdf: FPDF, log: TripDeletionLog) -> None:
    rows = sheet(log)[1]
    if not rows:
        pdf.set_font("Helvetica", "I", 10)
        pdf.cell(0, 6, "No photos were received for this trip.")
        return
    pdf.set_font("Helvetica", size=7)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 230, 238))
    with pdf.table(col_widths=_WIDTHS, width=sum(_WIDTHS), align="LEFT", text_align="LEFT", headings_style=heading,
                   line_height=4, padding=1, repeat_headings=1) as table:
        table.row(COLUMNS)
        for values in rows:
            cells = table.row()
            for index, value in enumerate(values):
                # Monospace keeps the 64 hex digits on one line and easy to compare by eye.
                style = FontFace(family="Courier", size_pt=6.5) if index == 2 else None
                cells.cell(latin1(value), style=style)
