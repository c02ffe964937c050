"""Every email of the site goes through this module: composed here (subject
made safe for a header, address checked), rendered from a text and an HTML
template on one layout (core/email/base.*), sent one message per recipient
by its own Celery task.

One task per recipient is what makes a retry safe: a failure (server down,
address refused for now) retries that recipient alone, with backoff, and
never resends to those already served. A failure is never silent: each one
is logged at ERROR on the "mail" logger with its reason (and so reaches the
error reporting when it is on)."""

import logging
import smtplib
import unicodedata
from dataclasses import asdict, dataclass

from celery import current_task, shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string

logger = logging.getLogger("mail")

SUBJECT_MAX_LENGTH = 200
MAX_RETRIES = 5
# A delivery done is remembered this long, so that a task redelivered by the
# broker after its success (worker lost before the acknowledgement) sends nothing.
SENT_MEMORY_SECONDS = 7 * 24 * 3600
# Characters that would break a header or a line: controls, line and paragraph separators.
_BREAKING = {"Cc", "Zl", "Zp"}


class MailDeliveryError(Exception):
    """A delivery failed for a reason that may pass (server unreachable,
    temporary refusal): the task retries it."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def clean_subject(subject, max_length=SUBJECT_MAX_LENGTH) -> str:
    """One line of text fit for a header: control characters and line breaks
    become spaces, runs of spaces collapse, the length is bounded."""
    text = "".join(" " if unicodedata.category(char) in _BREAKING else char for char in str(subject))
    text = " ".join(text.split())
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def is_valid_address(address) -> bool:
    if not isinstance(address, str) or any(unicodedata.category(char) in _BREAKING for char in address):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def site_link(path: str) -> str:
    """An absolute link to a page of the site, on SITE_URL."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def compose(template: str, context: dict, *, to: str, subject: str, reason: str) -> Mail:
    """Render ``<template>.txt`` and ``<template>.html`` (both extending the
    layout of core/email/) for one recipient. ``reason`` ends the sentence of
    the footer « Vous recevez ce courriel parce que … »."""
    subject = clean_subject(subject)
    context = {
        **context,
        "subject": subject,
        "receiving_reason": reason,
        "site_url": settings.SITE_URL.rstrip("/"),
        "site_title": settings.SITE_TITLE,
    }
    return Mail(
        to=to,
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )


def _permanent(error: smtplib.SMTPRecipientsRefused) -> bool:
    """A 5xx refusal of the address will not pass by waiting; a 4xx one may."""
    return all(code >= 500 for code, _message in error.recipients.values())


def send(mail: Mail) -> bool:
    """Send one message now. True when the server took it; False, logged,
    when it can never be delivered (invalid address, address refused for
    good); MailDeliveryError, logged, when trying again later may work."""
    if not is_valid_address(mail.to):
        logger.error("Courriel « %s » non envoyé : adresse invalide (%r).", mail.subject, mail.to)
        return False
    message = EmailMultiAlternatives(
        subject=clean_subject(mail.subject),
        body=mail.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        connection=get_connection(fail_silently=False),
    )
    message.attach_alternative(mail.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        reason = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
        if _permanent(error):
            logger.error("Courriel « %s » non remis à %s : adresse refusée (%s).", mail.subject, mail.to, reason)
            return False
        logger.error("Courriel « %s » non remis à %s : refus temporaire (%s).", mail.subject, mail.to, reason)
        raise MailDeliveryError(reason) from error
    except (smtplib.SMTPException, OSError) as error:
        reason = f"{type(error).__name__}: {error}"
        logger.error("Courriel « %s » non remis à %s : %s.", mail.subject, mail.to, reason)
        raise MailDeliveryError(reason) from error
    return True


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _attempt(mail: dict, task_id, retries) -> bool:
    done_key = f"mail:sent:{task_id}" if task_id else None
    if done_key and cache.get(done_key):
        return True
    try:
        sent = send(Mail(**mail))
    except MailDeliveryError:
        if retries >= MAX_RETRIES:
            logger.error(
                "Courriel « %s » à %s abandonné après %d tentatives.", mail["subject"], mail["to"], MAX_RETRIES + 1
            )
        raise
    if sent and done_key:
        cache.set(done_key, True, SENT_MEMORY_SECONDS)
    return sent


@shared_task(
    bind=True,
    autoretry_for=(MailDeliveryError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    retry_kwargs={"max_retries": MAX_RETRIES},
)
def deliver(self, mail: dict) -> bool:
    """One message to one recipient, retried alone with backoff."""
    return _attempt(mail, self.request.id, self.request.retries)


def _deliver_here(mail: dict) -> bool:
    """Without a broker: the attempts one after the other, in this process
    (Celery's eager mode would raise at the first retry)."""
    for retries in range(MAX_RETRIES + 1):
        try:
            return _attempt(mail, None, retries)
        except MailDeliveryError:
            continue
    return False


def send_each(mails) -> int:
    """One delivery task per message; the number handed over. Without a
    broker (eager mode: the demo) the delivery runs here, its attempts
    included, and a final failure, already logged, does not stop the next
    messages."""
    handed = 0
    for mail in mails:
        if not is_valid_address(mail.to):
            logger.error("Courriel « %s » non envoyé : adresse invalide (%r).", mail.subject, mail.to)
            continue
        if deliver.app.conf.task_always_eager:
            handed += _deliver_here(asdict(mail))
        else:
            deliver.apply_async(args=[asdict(mail)], **_queue_of_caller())
            handed += 1
    return handed


def _queue_of_caller():
    """Queued from a task: on that task's queue, so that the worker that
    serves it serves its emails too."""
    info = getattr(getattr(current_task, "request", None), "delivery_info", None) or {}
    return {"queue": info["routing_key"]} if info.get("routing_key") else {}
