"""The minutes of a yearly review and the report of a final evaluation: one
context builder per document for the HTML preview and the PDF (core.printing,
the annex's renderer and style), and the stored PDFs, numbered, with the
SHA-256 of their bytes, like the annexes. A finalized document is served
from its stored bytes; a draft is rendered on the fly, marked as such, and
never stored (a GET never writes)."""

from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from core import printing
from indicators.progress import PROGRESS_BADGES, Progress
from reviews.models import DocumentKind, ReviewDocument


def _parties(cpom):
    return {"cpom": cpom, "entity": cpom.legal_entity, "generated_at": timezone.localtime()}


def _progress_label(code):
    return Progress(code).label if code in Progress.values else code


def review_context(review, number=None) -> dict:
    """``number``: the version being stored (none: a preview or a draft)."""
    items = list(review.items.prefetch_related("revised_indicators").order_by("position", "pk"))
    for item in items:
        for line in item.lines:
            line["progress_label"] = _progress_label(line["progress"])
            line["progress_badge"] = PROGRESS_BADGES.get(line["progress"], "")
    return {**_parties(review.cpom), "review": review, "items": items, "number": number}


def evaluation_context(evaluation, number=None) -> dict:
    items = list(evaluation.items.select_related("carried_to__cpom").order_by("position", "pk"))
    years = evaluation.cpom.years
    return {**_parties(evaluation.cpom), "evaluation": evaluation, "items": items, "years": years,
            "number": number}  # fmt: skip


def latest(record):
    """The latest stored PDF of a review or an evaluation, or None."""
    return record.documents.order_by("-number").first() if record.pk else None


def filename(record) -> str:
    cpom = record.cpom
    name = slugify(cpom.legal_entity.legal_name)[:60].strip("-")
    if hasattr(record, "year"):
        parts = ["compte-rendu-revue", str(record.year), cpom.legal_entity.finess, name]
    else:
        parts = ["rapport-evaluation-finale", cpom.period.replace("–", "-"), cpom.legal_entity.finess, name]
    return "-".join(part for part in parts if part) + ".pdf"


def render(record, number=None) -> bytes:
    if hasattr(record, "year"):
        return printing.render_pdf("reviews/minutes.html", review_context(record, number))
    return printing.render_pdf("reviews/report.html", evaluation_context(record, number))


def store(record, user) -> ReviewDocument:
    """Render the finalized ``record`` and store it as its next version
    (called under the record's row lock, by its services)."""
    top = record.documents.aggregate(top=models.Max("number"))["top"] or 0
    data = render(record, top + 1)
    is_review = hasattr(record, "year")
    document = ReviewDocument(
        cpom=record.cpom,
        kind=DocumentKind.MINUTES if is_review else DocumentKind.REPORT,
        review=record if is_review else None,
        evaluation=None if is_review else record,
        number=top + 1,
        created_by=user,
    )
    stem = filename(record).removesuffix(".pdf")
    printing.keep(document, f"{stem}-v{document.number}.pdf", data)
    document.save()
    return document
