"""Two people editing the same object: the later save is refused, never
written silently over the earlier one. One scheme for every edited object.

The edit token is the id of the object's latest history record
(django-simple-history writes one per save). A form carries the token of the
object as it was shown; the service, in its transaction, locks the row and
compares that token with the latest one before writing. An aggregate (a
commitment with its partners and indicators, a structure with its members)
is compared on its root, which its service saves with every change of its
parts.

A form of an edited object requires its token: a post without one is
refused, never saved unchecked. Only code that edits without a page (the
demo, the importers) passes ``UNCHECKED`` to a service, explicitly."""

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _


class StaleVersionError(Exception):
    """A save based on a version someone else has changed since."""

    def __init__(self, current):
        self.current = current
        super().__init__(_("Quelqu’un a modifié cet élément depuis que vous l’avez ouvert."))


STALE_MESSAGE = _(
    "Quelqu’un a enregistré cette fiche depuis que vous l’avez ouverte : rien n’a été enregistré, "
    "rien n’a été écrasé. Vos saisies sont conservées ci-dessous ; ouvrez la fiche dans un autre onglet "
    "pour voir la version enregistrée, puis enregistrez de nouveau pour la remplacer."
)


UNKNOWN = object()
# Passed by code that edits without a page (the demo, importers): the save is not compared.
UNCHECKED = object()

MISSING_TOKEN_MESSAGE = _(
    "Cette page a été envoyée sans l’état de la fiche qu’elle affichait : rien n’a été enregistré. "
    "Rechargez la page, puis enregistrez de nouveau."
)


def edit_token(instance) -> int | None:
    if instance.pk is None:
        return None
    return instance.history.order_by("-history_id").values_list("history_id", flat=True).first()


def edit_tokens(model, **lookup) -> dict:
    """The edit tokens of many objects in one query: {pk: token}."""
    history = model.history.filter(**lookup).values_list(model._meta.pk.attname).annotate(token=Max("history_id"))
    return dict(history.order_by())


def lock_unchanged(instance, token):
    """Within a transaction: the row, locked, if nobody saved it since ``token``; else StaleVersionError."""
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    check_unchanged(current, token)
    return current


def check_unchanged(current, token):
    """``current`` (locked by the caller, or None if it does not exist yet) is as the user saw it."""
    if token is UNCHECKED:
        return
    if (edit_token(current) if current is not None else None) != token:
        raise StaleVersionError(current)


class EditTokenMixin:
    """Adds the hidden ``edit_token`` of the object being edited: the form's
    instance, or ``edited`` for a form that is no ModelForm. ``token``
    gives it directly when the page computed many at once (edit_tokens)."""

    # A form creating an object sends no token (there is nothing to compare
    # with), unless its service compares the absence too: ``True`` there.
    token_for_new = False

    def __init__(self, *args, edited=None, token=UNKNOWN, **kwargs):
        super().__init__(*args, **kwargs)
        if token is UNKNOWN:
            token = edit_token(edited if edited is not None else self.instance)
        self._token_required = token is not None or self.token_for_new
        self.fields["edit_token"] = forms.IntegerField(widget=forms.HiddenInput, required=False, initial=token)

    def clean(self):
        data = super().clean()
        if self.add_prefix("edit_token") not in self.data:
            if self._token_required:
                raise forms.ValidationError(MISSING_TOKEN_MESSAGE, code="missing_edit_token")
            data["edit_token"] = None
        return data

    def refresh_token(self, current):
        """After a refused save: what the user typed stays, the token becomes
        the current one, so that saving again is a deliberate choice."""
        self.set_token(edit_token(current) if current is not None else None)

    def set_token(self, token):
        self.data = self.data.copy()
        self.data[self.add_prefix("edit_token")] = "" if token is None else token
