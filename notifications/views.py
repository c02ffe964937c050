"""A person's notifications: the list (unread first in the header count),
opening one (marks it read, leads to the page where it waits), marking them
all read, and the choice of emails."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pages import bounded_int, crumbs
from notifications import services
from notifications.forms import EmailChoicesForm
from notifications.models import Notification

PAGE_SIZE = 30


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user).select_related("actor")
    only_unread = request.GET.get("non_lues") == "1"
    if only_unread:
        notifications = notifications.unread()
    paginator = Paginator(notifications, PAGE_SIZE)
    page = paginator.get_page(bounded_int(request.GET.get("page"), 1, 1, max(paginator.num_pages, 1)))
    return render(
        request,
        "notifications/list.html",
        {
            "title": _("Notifications"),
            "nav": "notifications",
            "page": page,
            "only_unread": only_unread,
            "unread": services.unread_count(request.user),
            "breadcrumb_data": crumbs(_("Notifications")),
        },
    )


@login_required
def notification_open(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(request.user, [notification.pk])
    if url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        return redirect(notification.link)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_read(request.user)
    messages.success(
        request,
        _("Aucune notification non lue.")
        if not count
        else (
            _("Une notification marquée comme lue.")
            if count == 1
            else _("%(n)s notifications marquées comme lues.") % {"n": count}
        ),
    )
    return redirect("notifications:list")


@login_required
def preferences(request):
    form = EmailChoicesForm(request.POST or None, choices=services.email_choices(request.user))
    if request.method == "POST" and form.is_valid():
        services.set_email_choices(request.user, form.cleaned_data)
        messages.success(request, _("Vos préférences de courriel sont enregistrées."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "title": _("Mes préférences de courriel"),
            "nav": "notifications",
            "form": form,
            "breadcrumb_data": crumbs(
                _("Préférences de courriel"), (_("Notifications"), reverse("notifications:list"))
            ),
        },
    )
