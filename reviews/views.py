"""The pages of the yearly review and the final evaluation, their PDFs and
the région's page of reviews. Views parse the request, call the services
and render; who sees a CPOM is ``Cpom.objects.visible_to`` (another région
or entity: 404), who may do what is ``reviews.permissions``."""

import csv
import datetime
import hashlib
import io
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperations.models import Region
from core.exports import neutralise
from core.pages import bounded_int, crumbs
from core.printing import preview_context
from cpom.models import Cpom, Indicator
from reviews import documents, permissions, selectors, services
from reviews.models import Achievement, AnnualReview, Decision, FinalEvaluation


def _visible_cpom(request, pk):
    queryset = Cpom.objects.visible_to(request.user).select_related("legal_entity", "region")
    return get_object_or_404(queryset, pk=pk)


def _crumbs(cpom, current):
    return crumbs(
        current, (_("CPOM"), reverse("cpom:cpom_list")), (str(cpom.legal_entity.name), cpom.get_absolute_url())
    )


def _refused(request, error):
    for message in error.messages:
        messages.error(request, message)


def _date(raw):
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as error:
        raise ValidationError(_("« %(raw)s » n’est pas une date (jj/mm/aaaa).") % {"raw": raw}) from error


def _ids(values):
    try:
        return {int(value) for value in values}
    except ValueError as error:
        raise ValidationError(_("Choix invalide.")) from error


def _texts(request, items, prefix):
    """{item id: text} of the fields ``<prefix>-<item id>`` the form posted."""
    return {item.pk: request.POST[f"{prefix}-{item.pk}"] for item in items if f"{prefix}-{item.pk}" in request.POST}


# --- The yearly review -------------------------------------------------------------------------


def _review_post(request, cpom, year, review):
    action, user = request.POST.get("action"), request.user
    if action == "open":
        services.open_review(cpom, user, year)
        messages.success(request, _("Revue %(year)s ouverte, préparée à partir des valeurs connues.") % {"year": year})
        return
    if review is None:
        raise Http404
    items = list(review.items.all())
    if action == "refresh":
        services.refresh_review(review, user)
        messages.success(request, _("Valeurs relues."))
    elif action == "remarks":
        prefix = "ars" if permissions.leads(user, cpom) else "etablissement"
        services.record_remarks(review, user, _texts(request, items, prefix))
        messages.success(request, _("Remarques enregistrées."))
    elif action == "decisions":
        decisions = {
            item.pk: {
                "status": request.POST.get(f"statut-{item.pk}", ""),
                "decision": request.POST.get(f"decision-{item.pk}", ""),
                "indicators": _ids(request.POST.getlist(f"cibles-{item.pk}")),
                "note": request.POST.get(f"note-{item.pk}", ""),
            }
            for item in items
        }
        services.record_decisions(
            review,
            user,
            meeting_date=_date(request.POST.get("meeting_date")),
            attendees=request.POST.get("attendees", ""),
            decisions=decisions,
        )
        services.record_remarks(review, user, _texts(request, items, "ars"))
        messages.success(request, _("Réunion, remarques et décisions enregistrées."))
    elif action == "finalize":
        finalized = services.finalize_review(review, user)
        text = _("Revue %(year)s finalisée ; le compte rendu est envoyé aux directeurs de l’établissement.")
        if finalized.amendment:
            text += " " + _("L’avenant est ouvert, avec les cibles à revoir en objet.")
        messages.success(request, text % {"year": year})
    else:
        raise ValidationError(_("Action inconnue."))


@login_required
def review_detail(request, pk, year):
    cpom = _visible_cpom(request, pk)
    user = request.user
    review = AnnualReview.objects.filter(cpom=cpom, year=year).first()
    leads = permissions.leads(user, cpom)
    if review is None and not (leads and year in cpom.years and cpom.has_been_signed):
        raise Http404
    if request.method == "POST":
        if not (leads or permissions.answers(user, cpom)):
            raise PermissionDenied
        try:
            _review_post(request, cpom, year, review)
        except ValidationError as error:
            _refused(request, error)
        return redirect(reverse("reviews:review", args=[cpom.pk, year]))
    context = {
        "cpom": cpom,
        "year": year,
        "review": review,
        "leads": leads,
        "answers": permissions.answers(user, cpom),
        "editable": review is not None and permissions.can_edit(user, review),
        "open_problems": services.review_problems(cpom, year) if review is None else [],
        "achievements": Achievement.choices,
        "decisions": Decision.choices,
        "nav": "cpoms",
        "title": _("Revue annuelle %(year)s — CPOM %(period)s") % {"year": year, "period": cpom.period},
        "breadcrumb_data": _crumbs(cpom, _("Revue annuelle %(year)s") % {"year": year}),
    }
    if review is not None:
        context.update(documents.review_context(review))
        context["finalize_problems"] = services.finalize_problems(review) if not review.is_finalized else []
        context["stored"] = documents.latest(review)
        # The indicators each item may send to revision: one query for every commitment of the review.
        choices = defaultdict(list)
        for indicator in Indicator.objects.filter(commitment__in={i.commitment_id for i in context["items"]}):
            choices[indicator.commitment_id].append(indicator)
        for item in context["items"]:
            item.indicator_choices = choices.get(item.commitment_id, []) if item.commitment_id else []
            item.revised_ids = {i.pk for i in item.revised_indicators.all()}
    return render(request, "reviews/review_detail.html", context)


def _pdf_response(record, request):
    stored = documents.latest(record)
    name = documents.filename(record)
    if record.is_finalized and stored is not None:
        response = FileResponse(stored.file.open("rb"), as_attachment=False, filename=name)
        sha256 = stored.sha256
    else:
        # A draft: rendered for this request, marked as such, stored nowhere.
        data = documents.render(record)
        response = FileResponse(io.BytesIO(data), as_attachment=False, filename=name)
        sha256 = hashlib.sha256(data).hexdigest()
    response["Content-Type"] = "application/pdf"
    response["X-Document-SHA256"] = sha256
    return response


@login_required
def minutes_pdf(request, pk, year):
    cpom = _visible_cpom(request, pk)
    review = get_object_or_404(AnnualReview, cpom=cpom, year=year)
    if request.GET.get("apercu"):
        return render(request, "reviews/minutes.html", preview_context(documents.review_context(review)))
    return _pdf_response(review, request)


# --- The final evaluation ----------------------------------------------------------------------


def _evaluation_post(request, cpom, evaluation):
    action, user = request.POST.get("action"), request.user
    if action == "open":
        services.open_evaluation(cpom, user)
        messages.success(request, _("Évaluation finale ouverte."))
        return
    if evaluation is None:
        raise Http404
    items = list(evaluation.items.all())
    leads = permissions.leads(user, cpom)
    if action == "refresh":
        services.refresh_evaluation(evaluation, user)
        messages.success(request, _("Valeurs relues."))
    elif action == "conclusions":
        prefix = "ars" if leads else "etablissement"
        carry = _ids(request.POST.getlist("reconduire")) if leads else None
        services.record_conclusions(evaluation, user, _texts(request, items, prefix), carry)
        messages.success(request, _("Conclusions enregistrées."))
    elif action == "reconduct":
        target = services.reconduct(evaluation, user)
        messages.success(
            request,
            _("Engagements reconduits dans le CPOM %(period)s (%(step)s).")
            % {"period": target.period, "step": target.get_status_display().lower()},
        )
    elif action == "finalize":
        services.finalize_evaluation(evaluation, user)
        messages.success(request, _("Évaluation finale finalisée ; le rapport est envoyé aux directeurs."))
    else:
        raise ValidationError(_("Action inconnue."))


@login_required
def evaluation_detail(request, pk):
    cpom = _visible_cpom(request, pk)
    user = request.user
    evaluation = FinalEvaluation.objects.filter(cpom=cpom).first()
    leads = permissions.leads(user, cpom)
    if evaluation is None and not (leads and cpom.has_been_signed):
        raise Http404
    if request.method == "POST":
        if not (leads or permissions.answers(user, cpom)):
            raise PermissionDenied
        try:
            _evaluation_post(request, cpom, evaluation)
        except ValidationError as error:
            _refused(request, error)
        return redirect(reverse("reviews:evaluation", args=[cpom.pk]))
    context = {
        "cpom": cpom,
        "evaluation": evaluation,
        "leads": leads,
        "answers": permissions.answers(user, cpom),
        "editable": evaluation is not None and permissions.can_edit(user, evaluation),
        "open_problems": services.evaluation_problems(cpom) if evaluation is None else [],
        "next_cpom": services.next_cpom_of(cpom),
        "nav": "cpoms",
        "title": _("Évaluation finale — CPOM %(period)s") % {"period": cpom.period},
        "breadcrumb_data": _crumbs(cpom, _("Évaluation finale")),
    }
    if evaluation is not None:
        context.update(documents.evaluation_context(evaluation))
        context["stored"] = documents.latest(evaluation)
        context["to_carry"] = [i for i in context["items"] if i.carry_over and not i.carried_to_id]
    return render(request, "reviews/evaluation_detail.html", context)


@login_required
def report_pdf(request, pk):
    cpom = _visible_cpom(request, pk)
    evaluation = get_object_or_404(FinalEvaluation, cpom=cpom)
    if request.GET.get("apercu"):
        return render(request, "reviews/report.html", preview_context(documents.evaluation_context(evaluation)))
    return _pdf_response(evaluation, request)


# --- The région's page of reviews --------------------------------------------------------------


def _csv(overview, year):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [_("Entité juridique"), _("FINESS EJ"), _("Région"), _("CPOM"), _("Année revue"), _("Revue"), _("En retard"),
         _("Réunion"), *[label for _v, label in Achievement.choices]]
    )  # fmt: skip
    for row in overview["rows"]:
        state = row.review.get_status_display() if row.review else _("Non ouverte")
        meeting = row.review.meeting_date.isoformat() if row.review and row.review.meeting_date else ""
        writer.writerow(
            [neutralise(row.cpom.legal_entity.name), row.cpom.legal_entity.finess, row.cpom.region.name,
             row.cpom.period, year, state, _("oui") if row.late else _("non"), meeting,
             *[row.counts.get(value, 0) for value, _l in Achievement.choices]]
        )  # fmt: skip
    writer.writerow([])
    writer.writerow([_("Thème"), *[label for _v, label in Achievement.choices], _("Total")])
    for theme in overview["themes"]:
        writer.writerow([theme.label, *[segment.count for segment in theme.segments], theme.total])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="revues-annuelles-{year}.csv"'
    return response


REVIEW_ROWS = 50


@login_required
def region_reviews(request):
    user = request.user
    if not (user.is_admin or user.is_regional):
        raise PermissionDenied
    today = timezone.localdate()
    year = bounded_int(request.GET.get("annee"), today.year - 1, 2000, 2100)
    if user.is_admin:
        code = request.GET.get("region", "")
        region = get_object_or_404(Region, code=code) if code else None
    else:
        region = user.region
        if region is None:
            raise PermissionDenied
    if region is not None and not permissions.reads_region_reviews(user, region.pk):
        raise Http404
    overview = selectors.region_overview(region.pk if region else None, year, today)
    if request.GET.get("_export") == "csv":
        return _csv(overview, year)
    # The table shows REVIEW_ROWS CPOMs a page (France: some 2,500); the figures above it count them all.
    page = Paginator(overview["rows"], REVIEW_ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **overview,
        "page_rows": page,
        "page_query": query.urlencode(),
        "year": year,
        "years": list(range(today.year, today.year - 6, -1)),
        "region": region,
        "regions": Region.objects.order_by("name") if user.is_admin else [],
        "achievements": Achievement.choices,
        "due_days": selectors.REVIEW_DUE_AFTER.days,
        "bar_width": selectors.BAR_WIDTH,
        "colours": [(label, selectors.COLOURS[Achievement(value)]) for value, label in Achievement.choices],
        "nav": "cpoms",
        "title": _("Revues annuelles %(year)s") % {"year": year},
        "breadcrumb_data": crumbs(_("Revues annuelles"), (_("CPOM"), reverse("cpom:cpom_list"))),
    }
    return render(request, "reviews/region_reviews.html", context)
