"""Login lockout on top of django-axes: three counters of the failed logins
within the cool-off, each with its own limit (``settings.LOGIN_FAILURE_LIMITS``):

- a user name from one address, the tight one: a user mistyping his password
  is stopped, nobody else is;
- a user name from every address: rotating addresses gives no fresh attempts,
  yet one address cannot lock the name for everyone at the tight limit;
- an address whatever the user name: one address trying many names.

django-axes counts several parameter combinations (``AXES_LOCKOUT_PARAMETERS``)
but compares all of them with one limit (``AXES_FAILURE_LIMIT``, a callable
of the request only, which cannot tell the counters apart): ``LockoutHandler``
gives each its own. The counted address is read by ``client_ip_address``, the
lockout page rendered by ``lockout_response``; ``current_lockouts`` and
``unlock`` serve the administrators' page."""

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("accounts.lockout")

USERNAME_ADDRESS, USERNAME, ADDRESS = ("username", "ip_address"), ("username",), ("ip_address",)


@dataclass(frozen=True)
class Counter:
    kind: str  # as sent by the unlock form
    parameters: tuple[str, ...]  # axes' lockout parameters
    label: str

    @property
    def limit(self) -> int:
        return limit_of(self.parameters)

    @property
    def by_username(self) -> bool:
        return "username" in self.parameters

    @property
    def by_address(self) -> bool:
        return "ip_address" in self.parameters


COUNTERS = (
    Counter("username_address", USERNAME_ADDRESS, _("Identifiant depuis une adresse")),
    Counter("username", USERNAME, _("Identifiant, toutes adresses")),
    Counter("address", ADDRESS, _("Adresse, tous identifiants")),
)
COUNTER_BY_KIND = {counter.kind: counter for counter in COUNTERS}


def limit_of(parameters) -> int:
    """The limit of a counter; a combination left out of LOGIN_FAILURE_LIMITS has axes' own."""
    key = (parameters,) if isinstance(parameters, str) else tuple(parameters)
    return settings.LOGIN_FAILURE_LIMITS.get(key, settings.AXES_FAILURE_LIMIT)


def cool_off_minutes(request=None) -> int:
    return int(get_cool_off(request).total_seconds() // 60)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, each counter with its own limit."""

    def counters(self, request, credentials=None) -> list[tuple[tuple[str, ...], int]]:
        """Each counter's parameters and failures within the cool-off (one query each)."""
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)  # one queryset per parameter combination
        return [
            (
                (combination,) if isinstance(combination, str) else tuple(combination),
                queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0,
            )
            for combination, queryset in zip(parameters, attempts, strict=True)
        ]

    def reached(self, request, credentials=None) -> list[tuple[str, ...]]:
        """The counters at their limit: the request is locked out when there is one."""
        return [
            parameters
            for parameters, failures in self.counters(request, credentials)
            if failures >= limit_of(parameters)
        ]

    def get_failures(self, request, credentials=None) -> int:
        """Axes locks out when this number reaches AXES_FAILURE_LIMIT: each
        counter's failures are scaled to that limit (20 failures of a counter
        limited to 20 count as 5 when axes' limit is 5; 19 as 4), the largest
        is returned. Rounded down, so exact: failures * L // limit >= L
        exactly when failures >= limit."""
        scale = get_failure_limit(request, credentials)
        return max(
            (failures * scale // limit_of(parameters) for parameters, failures in self.counters(request, credentials)),
            default=0,
        )

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget the failures of that user name from
        that address only: his own typing. Clearing the address's counter would
        let anyone holding one account reset it between rounds of guesses at
        others; the name's failures from elsewhere expire with the cool-off."""
        username = get_client_username(request, credentials)
        _count, deleted = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return deleted.get(AccessAttempt._meta.label, 0)


def client_ip_address(request) -> str | None:
    """The address a login is counted against (AXES_CLIENT_IP_CALLABLE).

    No proxy trusted (TRUSTED_PROXY_COUNT=0, the default): REMOTE_ADDR, and a
    forwarding header sent by the client is never read. Behind N trusted
    proxies: each appends to the header the address it received the request
    from, so the client is the N-th entry from the right, written by the
    outermost proxy; whatever the client wrote itself lies further left. A
    shorter header holds only proxies' entries: its first is the client. An
    entry that is not an address (a misconfigured proxy) falls back to
    REMOTE_ADDR, never to an error."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [entry.strip() for entry in str(request.META.get(settings.TRUSTED_PROXY_HEADER, "")).split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        return remote
    candidate = entries[-count] if len(entries) >= count else entries[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """The French lockout page (AXES_LOCKOUT_CALLABLE): how long to wait, and
    which counter stopped the login, without naming any limit."""
    reached = set(LockoutHandler().reached(request, credentials))
    return render(
        request,
        "registration/locked.html",
        {
            "minutes": cool_off_minutes(request),
            "by_username_address": USERNAME_ADDRESS in reached,
            "by_username": USERNAME in reached,
            "by_address": ADDRESS in reached,
            "title": _("Connexion suspendue"),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


@dataclass(frozen=True)
class Lockout:
    counter: Counter
    username: str | None
    ip_address: str | None
    failures: int
    last_failure: datetime
    ends_at: datetime  # at the latest, if no further failure comes


# Rows shown per kind of lockout: an attack can lock thousands of pairs.
SHOWN_PER_COUNTER = 200


def current_lockouts(now: datetime | None = None) -> tuple[list[Lockout], bool]:
    """The lockouts in force, the most recent first, and whether some were
    left out (beyond SHOWN_PER_COUNTER of one kind). One grouped query per
    counter, the sums computed by the database. axes keeps, per user name,
    address and browser, the failures and the time of the last one (not of
    the first): a lockout lasts until the cool-off after its last failure at
    the latest, sooner when older failures of a shared counter expire."""
    cool_off = get_cool_off()
    threshold = (now or timezone.now()) - cool_off
    lockouts, truncated = [], False
    for counter in COUNTERS:
        fields = list(counter.parameters)
        rows = list(
            AccessAttempt.objects.filter(attempt_time__gte=threshold)
            .values(*fields)
            .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
            .filter(failures__gte=counter.limit)
            .order_by("-last_failure")[: SHOWN_PER_COUNTER + 1]
        )
        truncated = truncated or len(rows) > SHOWN_PER_COUNTER
        lockouts += [
            Lockout(
                counter=counter,
                username=row.get("username"),
                ip_address=row.get("ip_address"),
                failures=row["failures"],
                last_failure=row["last_failure"],
                ends_at=row["last_failure"] + cool_off,
            )
            for row in rows[:SHOWN_PER_COUNTER]
        ]
    lockouts.sort(key=lambda lockout: lockout.last_failure, reverse=True)
    return lockouts, truncated


def unlock(counter: Counter, username: str | None, ip_address: str | None, by) -> int:
    """Lift a lockout: forget the failures it counts (for a user name, from
    every address; for an address, of every name), and say who did it in the
    log. Returns the number of attempt records removed (0: already lifted)."""
    attempts = AccessAttempt.objects.all()
    if counter.by_username:
        attempts = attempts.filter(username=username)
    if counter.by_address:
        attempts = attempts.filter(ip_address=ip_address)
    _count, deleted = attempts.delete()
    removed = deleted.get(AccessAttempt._meta.label, 0)
    log.warning(
        "verrouillage levé : type=%s identifiant=%r adresse=%s enregistrements=%d par=%s (n° %s)",
        counter.kind,
        username if counter.by_username else None,
        ip_address if counter.by_address else None,
        removed,
        by.get_username(),
        by.pk,
    )
    return removed
