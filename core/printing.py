"""The one renderer of printed documents (the CPOM annex, a diagnostic): an
HTML template with print CSS, shown in the browser as a preview and rendered
by WeasyPrint as a tagged PDF (PDF/UA-1: structure tags, the document's
language and title from ``<html lang>`` and ``<title>``), with the DSFR's
Marianne fonts of the installed django-dsfr package in both."""

import hashlib
from pathlib import Path

import dsfr
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.templatetags.static import static

FONTS = Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist" / "fonts"
PDF_VARIANT = "pdf/ua-1"


def medium(for_pdf: bool) -> dict:
    """What a print template needs to know of where it is shown: the fonts
    from the files on disk for WeasyPrint, from the static files for a browser
    (which refuses ``file://`` addresses)."""
    return {"for_pdf": for_pdf, "fonts_url": FONTS.as_uri() if for_pdf else static("dsfr/dist/fonts").rstrip("/")}


def preview_context(context) -> dict:
    return {**context, **medium(for_pdf=False)}


def render_pdf(template, context, request=None) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs ~0.3 s

    html = render_to_string(template, {**context, **medium(for_pdf=True)}, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant=PDF_VARIANT)


def keep(document, name: str, data: bytes) -> None:
    """Put ``data`` in ``document.file`` under ``name``, with its SHA-256 (and its
    size where the model keeps one): the stored annexes, their archives and the
    review documents. The caller saves the row."""
    document.sha256 = hashlib.sha256(data).hexdigest()
    if hasattr(document, "size"):
        document.size = len(data)
    document.file.save(name, ContentFile(data), save=False)
