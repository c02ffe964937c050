"""The Volet 3 annex of a CPOM: one context builder for the HTML preview and
the PDF (WeasyPrint), and the stored PDFs.

A signed version is rendered from the content kept at its signature, so
that the annex says what was signed even after an amendment; an open
version is rendered from the current content."""

import logging
import tempfile
import zipfile
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core import printing
from cpom.models import AnnexArchive, AnnexFile, Cpom, CpomVersion, Indicator
from cpom.versions import COMMITMENT_LABELS, INDICATOR_LABELS, diff_snapshots, snapshot, target_label

logger = logging.getLogger(__name__)

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
# The commitment's facts in the annex, in this order (its title heads the section).
ANNEX_COMMITMENT_FIELDS = ["action_kind", "theme", "objective", "benefits", "partners", "vehicle",
                           "start_date", "deadline", "status"]  # fmt: skip
# Marianne, the State's typeface, as django-dsfr ships it (for State services, as an ARS is).


def pick_version(cpom, number=None) -> CpomVersion:
    """The version asked for, else the latest one (open or signed)."""
    versions = cpom.versions.order_by("-number")
    if number is not None:
        return versions.get(number=number)
    return versions.first()


def annex_context(cpom, version: CpomVersion, known_values_of=None) -> dict:
    """With ``known_values_of`` (given by the follow-up: indicator ids →
    {indicator id: {year: value as shown}}), each indicator also shows its
    known values: an edition of the follow-up, never the signed document."""
    follow_up = known_values_of is not None
    content = version.content if version.is_signed else snapshot(cpom)
    years = cpom.years
    followed = (
        known_values_of([i["id"] for item in content["commitments"] for i in item["indicators"]]) if follow_up else {}
    )
    # The technical sheets and calculation parameters, read from the indicators
    # themselves (frozen with their CPOM: only an amendment changes them).
    live = {
        i.pk: i
        for i in Indicator.objects.filter(
            commitment__cpom=cpom, pk__in=[i["id"] for item in content["commitments"] for i in item["indicators"]]
        )
    }
    commitments, sheets = [], []
    for index, item in enumerate(content["commitments"], start=1):
        fields = item["fields"]
        indicators = []
        for position, indicator in enumerate(item["indicators"], start=1):
            values = indicator["fields"]
            row = {key: values.get(str(label), "") for key, label in INDICATOR_LABELS.items()}
            row["targets"] = [values.get(target_label(year), "") for year in years]
            if follow_up:
                found = followed.get(indicator["id"], {})
                row["values"] = [found.get(year, "") for year in years]
            current = live.get(indicator["id"])
            row["parameters"] = current.computation_parameters if current else ""
            if current is not None:
                row["sheet_number"] = f"{index}.{position}"
                sheets.append({"number": row["sheet_number"], "label": row["label"], "commitment": item["title"],
                               "rows": current.sheet_rows()})  # fmt: skip
            indicators.append(row)
        commitments.append(
            {
                "number": index,
                "title": item["title"],
                "fields": [
                    (str(COMMITMENT_LABELS[key]), fields.get(str(COMMITMENT_LABELS[key]), ""))
                    for key in ANNEX_COMMITMENT_FIELDS
                ],
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
        "sheets": sheets,
        "changes": changes,
        "follow_up": follow_up,
        "generated_at": timezone.localtime(),
    }


def render_pdf(context) -> bytes:
    return printing.render_pdf("cpom/annex.html", context)


def annex_filename(cpom, version, follow_up=False) -> str:
    """E.g. annexe-volet3-780110011-ch-francois-quesnay-mantes-2021-2025-avenant-1.pdf"""
    suffix = "contrat-initial" if version.number == 0 else f"avenant-{version.number}"
    if follow_up:
        suffix += f"-suivi-{timezone.localdate().isoformat()}"
    # A provisional name (deduced from the sites) is never printed: the FINESS EJ alone then names the file.
    name = slugify(cpom.legal_entity.legal_name)[:60].strip("-")
    parts = ["annexe-volet3", cpom.legal_entity.finess, name, cpom.period.replace("–", "-"), suffix]
    return "-".join(part for part in parts if part) + ".pdf"


@transaction.atomic
def annex_pdf(cpom, version, user) -> AnnexFile:
    """The stored PDF of a version: for a signed version, the one stored at its
    first export (same bytes every time); for an open version (in an archive),
    a new rendering, stored with its fingerprint as any generated annex. The
    follow-up edition is never stored (see portal.views.annex_download)."""
    if version.is_signed:
        stored = AnnexFile.objects.select_for_update().filter(version=version, version_signed=True).first()
        if stored is not None:
            return stored
    data = render_pdf(annex_context(cpom, version))
    annex = AnnexFile(
        cpom=cpom,
        version=version,
        version_signed=version.is_signed,
        created_by=user,
    )
    printing.keep(annex, annex_filename(cpom, version), data)
    annex.save()
    return annex


# --- Archives: the annexes of a région or of a filtered list ---------------------------------

ARCHIVE_TTL = timedelta(hours=24)
# A request still pending after this long lost its message (broker down).
PENDING_TIMEOUT = timedelta(minutes=15)


def request_archive(user, cpoms, label, region=None) -> AnnexArchive:
    """Record the request; the Celery task builds the archive once the
    request is committed."""
    from cpom.tasks import build_annex_archive

    archive = AnnexArchive.objects.create(
        label=label,
        region=region,
        cpom_ids=[c.pk for c in cpoms],
        created_by=user,
        expires_at=timezone.now() + ARCHIVE_TTL,
    )
    # Robust: with the broker down the request is still recorded (the failure is logged); the hourly job builds it.
    transaction.on_commit(lambda: build_annex_archive.delay(archive.pk), robust=True)
    return archive


def write_archive(cpom_ids, user, target, progress=None) -> int:
    """Write one PDF per CPOM (its latest version) into the ZIP ``target``
    (a path or a file object); returns the number of annexes."""
    cpoms = {c.pk: c for c in Cpom.objects.filter(pk__in=cpom_ids).select_related("legal_entity", "region")}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, pk in enumerate(cpom_ids, start=1):
            cpom = cpoms.get(pk)
            if cpom is not None:
                version = pick_version(cpom)
                annex = annex_pdf(cpom, version, user)
                with annex.file.open("rb") as pdf:
                    # Stored, not deflated: a PDF's streams are compressed already (deflating them gains ~1 %).
                    archive.writestr(annex_filename(cpom, version), pdf.read(), compress_type=zipfile.ZIP_STORED)
            if progress:
                progress(done)
    return len(cpom_ids)


def build_archive(archive_id) -> str:
    """Build a requested archive; progress is written as it goes, outside
    any long transaction, so that the page following it sees it."""
    archive = AnnexArchive.objects.get(pk=archive_id)
    if archive.is_done or not AnnexArchive.start(archive_id):
        return AnnexArchive.Status.DONE

    def progress(done):
        AnnexArchive.advance(archive_id, done)

    try:
        with tempfile.TemporaryFile() as handle:
            write_archive(archive.cpom_ids, archive.created_by, handle, progress)
            handle.seek(0)
            data = handle.read()
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        printing.keep(archive, f"annexes-{slugify(archive.label)[:60]}-{stamp}.zip", data)
        archive.save(update_fields=["file", "sha256"])
        AnnexArchive.finish(archive_id, done=archive.total)
    except Exception as error:  # the page must say the job failed, whatever the cause
        AnnexArchive.fail(archive_id, error)
        raise
    return AnnexArchive.Status.DONE


def build_pending_archives(now=None, stale_after=PENDING_TIMEOUT) -> int:
    """Build the archives still pending a while after their request: their
    message was lost (the broker was down when they were asked for)."""
    stale = (now or timezone.now()) - stale_after
    pending = AnnexArchive.objects.filter(status=AnnexArchive.Status.PENDING, created_at__lt=stale)
    built = 0
    for pk in pending.values_list("pk", flat=True):
        try:
            build_archive(pk)
            built += 1
        except Exception:  # noqa: BLE001 - one failed archive (marked as such) does not stop the others
            logger.exception("Archive d’annexes %s en échec", pk)
    return built


def purge_expired_archives(now=None) -> int:
    """Delete the archives past their download time, files included."""
    expired = list(AnnexArchive.objects.filter(expires_at__lte=now or timezone.now()))
    for archive in expired:
        if archive.file:
            archive.file.delete(save=False)
        archive.delete()
    return len(expired)
