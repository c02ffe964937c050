"""The Volet 3 annex of a CPOM: one context builder for the HTML preview and
the PDF (WeasyPrint), and the stored PDFs.

A signed version is rendered from the content kept at its signature, so
that the annex says what was signed even after an amendment; an open
version is rendered from the current content."""

import hashlib
from pathlib import Path

import dsfr
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import AnnexFile, CpomVersion
from .versions import diff_snapshots, snapshot

# Seed 000, Volet 3 « Coopérations territoriales »: the introduction the annex opens with.
INTRODUCTION = [
    "Dans le volet « Coopérations territoriales » sont retranscrits les engagements pris par les structures pour "
    "développer les synergies entre elles ou leurs différents sites, dans le cadre, notamment, de groupements "
    "hospitaliers de territoire, de groupements de coopération sanitaire ou par simples conventions.",
    "L’engagement contractuel porte sur la concrétisation des objectifs que les structures se fixent lors de leur "
    "collaboration, que celle-ci soit débutante ou déjà opérationnelle. La forme du montage juridique qui scelle "
    "cette coopération ne vient qu’encadrer cette collaboration et ne constitue pas un objectif en soi.",
    "Les indicateurs de suivi ont été définis lors de la négociation ; ils sont inscrits au contrat avec les "
    "valeurs-cibles attendues pour chaque année.",
]
COMMITMENT_FIELDS = ["Type d’action", "Thème", "Objectif", "Bénéfices attendus", "Partenaires", "Support juridique",
                     "Date de début", "Échéance", "État d’avancement"]  # fmt: skip
# Marianne, the State's typeface, as django-dsfr ships it (for State services, as an ARS is).
FONTS = Path(dsfr.__file__).resolve().parent / "static" / "dsfr" / "dist" / "fonts"


def pick_version(cpom, number=None) -> CpomVersion:
    """The version asked for, else the latest one (open or signed)."""
    versions = cpom.versions.order_by("-number")
    if number is not None:
        return versions.get(number=number)
    return versions.first()


def annex_context(cpom, version: CpomVersion) -> dict:
    content = version.content if version.is_signed else snapshot(cpom)
    years = list(range(cpom.first_year, cpom.last_year + 1))
    commitments = []
    for index, item in enumerate(content["commitments"], start=1):
        fields = item["fields"]
        indicators = []
        for indicator in item["indicators"]:
            values = indicator["fields"]
            indicators.append(
                {
                    "label": indicator["label"],
                    "kind": values.get("Nature", ""),
                    "unit": values.get("Unité", ""),
                    "value_type": values.get("Type de valeur", ""),
                    "direction": values.get("Sens d’amélioration", ""),
                    "source": values.get("Source des données", ""),
                    "computation": values.get("Calcul automatique", ""),
                    "baseline": values.get("Valeur de référence", ""),
                    "baseline_year": values.get("Année de référence", ""),
                    "targets": [values.get(f"Cible {year}", "") for year in years],
                }
            )
        commitments.append(
            {
                "number": index,
                "title": item["title"],
                "fields": [(label, fields.get(label, "")) for label in COMMITMENT_FIELDS],
                "indicators": indicators,
            }
        )
    changes = None
    if version.number > 0:
        previous = cpom.versions.filter(number__lt=version.number, signed_on__isnull=False).order_by("-number").first()
        if previous is not None:
            changes = diff_snapshots(previous.content, content)
    return {
        "cpom": cpom,
        "version": version,
        "entity": cpom.legal_entity,
        "sites": list(cpom.legal_entity.establishments.filter(closed_on__isnull=True).order_by("name")),
        "years": years,
        "introduction": INTRODUCTION,
        "commitments": commitments,
        "changes": changes,
        "generated_at": timezone.localtime(),
        "fonts_url": FONTS.as_uri(),
    }


def render_pdf(context) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs ~0.3 s

    html = render_to_string("cooperations/annex.html", {**context, "for_pdf": True})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def annex_filename(cpom, version) -> str:
    suffix = "contrat-initial" if version.number == 0 else f"avenant-{version.number}"
    return f"annexe-volet3-{cpom.legal_entity.finess}-{cpom.period.replace('–', '-')}-{suffix}.pdf"


@transaction.atomic
def annex_pdf(cpom, version, user) -> AnnexFile:
    """The PDF of a version: for a signed version, the one stored at its first
    export (same bytes every time); for an open version, a new rendering,
    stored with its fingerprint as any generated annex."""
    if version.is_signed:
        stored = AnnexFile.objects.select_for_update().filter(version=version, version_signed=True).first()
        if stored is not None:
            return stored
    data = render_pdf(annex_context(cpom, version))
    annex = AnnexFile(
        cpom=cpom,
        version=version,
        version_signed=version.is_signed,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        created_by=user,
    )
    annex.file.save(annex_filename(cpom, version), ContentFile(data), save=False)
    annex.save()
    return annex
