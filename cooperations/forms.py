from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import SuspiciousFileOperation
from django.utils.translation import gettext_lazy as _

from cooperations.finess import finess_error, normalize_finess
from cooperations.importers.base import oversize_error, upload_limit
from cooperations.models import (
    CooperationStructure,
    Establishment,
    ImportRun,
    LegalEntity,
    MemberRole,
    Membership,
    Region,
    StructureKind,
)
from core.concurrency import EditTokenMixin
from core.forms import DateInput, DsfrFormMixin, OwnRowsFormSetMixin, PlainDeleteMixin  # noqa: F401 - the kit, re-used by the register forms
from core.layout import FormHelper
from core.values import format_size


class CooperationStructureForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    class Meta:
        model = CooperationStructure
        fields = [
            "kind", "name", "short_code", "code", "finess", "region", "start_date", "end_date",
            "nature", "purpose", "description",
        ]  # fmt: skip
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.is_admin:
            # A negotiator works in his région; the 135 GHT are reference data.
            del self.fields["region"]
            editing_ght = self.instance.pk and self.instance.kind == StructureKind.GHT
            if editing_ght:
                for name in ("kind", "code", "short_code"):
                    self.fields[name].disabled = True
            else:
                self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0] != StructureKind.GHT]
        else:
            self.fields["region"].queryset = Region.objects.all()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                _("Identification"),
                Row(
                    Column(Field("kind"), css_class="fr-col-12 fr-col-md-6"),
                    Column("name", css_class="fr-col-12 fr-col-md-6"),
                ),
                Row(
                    Column("short_code", css_class="fr-col-12 fr-col-md-4"),
                    Column("code", css_class="fr-col-12 fr-col-md-4"),
                    Column("finess", css_class="fr-col-12 fr-col-md-4"),
                ),
                *(["region"] if "region" in self.fields else []),
            ),
            Fieldset(
                _("Caractéristiques du lien"),
                Row(
                    Column("start_date", css_class="fr-col-12 fr-col-md-3"),
                    Column("end_date", css_class="fr-col-12 fr-col-md-3"),
                    Column("nature", css_class="fr-col-12 fr-col-md-3"),
                    Column("purpose", css_class="fr-col-12 fr-col-md-3"),
                ),
                "description",
            ),
        )

    def clean_finess(self):
        value = normalize_finess(self.cleaned_data.get("finess", ""))
        if value:
            error = finess_error(value)
            if error:
                raise forms.ValidationError(error)
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("La date de fin doit suivre la date de création."))
        kind, code = data.get("kind"), data.get("code")
        if kind and code:
            clash = CooperationStructure.objects.filter(kind=kind, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "code", _("Une structure de cette forme porte déjà le code « %(code)s ».") % {"code": code}
                )
        return data


class MembershipForm(DsfrFormMixin, forms.ModelForm):
    finess = forms.CharField(
        label=_("FINESS du membre"),
        required=False,
        max_length=12,
        help_text=_("Numéro FINESS de l’entité juridique ou d’un de ses sites."),
    )

    class Meta:
        model = Membership
        fields = ["finess", "external_name", "external_kind", "role", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {"external_name": _("Médecins de ville, service médico-social… hors répertoire FINESS.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A member row is optional as a whole: no "(optionnel)" on each field.
        for name, field in self.fields.items():
            if name != "DELETE":
                field.template_name = "core/_plain_field.html"
        instance = self.instance
        if instance.pk and not self.is_bound:
            if instance.establishment_id:
                self.initial["finess"] = instance.establishment.finess
            elif instance.legal_entity_id:
                self.initial["finess"] = instance.legal_entity.finess

    def clean(self):
        data = super().clean()
        if self.cleaned_data.get("DELETE"):
            return data
        number = normalize_finess(data.get("finess", ""))
        external = (data.get("external_name") or "").strip()
        if not number and not external:
            if self.has_changed():
                raise forms.ValidationError(
                    _("Indiquez le numéro FINESS du membre, ou le nom d’un partenaire hors répertoire.")
                )
            return data
        if number and external:
            raise forms.ValidationError(
                _(
                    "Un membre est soit un établissement du répertoire (FINESS), soit un partenaire hors répertoire, pas les deux."
                )
            )
        self.instance.legal_entity = None
        self.instance.establishment = None
        if number:
            error = finess_error(number)
            if error:
                self.add_error("finess", error)
                return data
            entity = LegalEntity.objects.filter(finess=number).first()
            if entity is None:
                site = Establishment.objects.select_related("legal_entity").filter(finess=number).first()
                if site is None:
                    self.add_error(
                        "finess",
                        _("Aucun établissement ni entité juridique du répertoire ne porte le numéro FINESS %(n)s.")
                        % {"n": number},
                    )
                    return data
                self.instance.establishment = site
                entity = site.legal_entity
            self.instance.legal_entity = entity
            self.instance.external_name = ""
            self.instance.external_kind = ""
        else:
            self.instance.external_name = external
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("La date de fin doit suivre la date d’entrée."))
        return data


OUTSIDE_REGION_RULE = _(
    "%(member)s relève de la région %(region)s, pas de celle de la structure (%(own)s) : un établissement d’une "
    "autre région y figure comme partenaire, ni membre ni support. La structure reste modifiable par l’ARS de sa "
    "région seule, et consultable par l’ARS de chacun de ses membres."
)


class BaseMembershipFormSet(OwnRowsFormSetMixin, forms.BaseInlineFormSet):
    """The members of a structure. The rule across régions: a structure
    belongs to one région (its ARS alone edits it); an entity of another
    région may take part only as a partner, and the structure is then shown,
    read-only, to that région's ARS and to the entity's director."""

    def clean(self):
        super().clean()
        self._outside_region_rule()
        supports, members = 0, set()
        for form in self.forms:
            if (
                not hasattr(form, "cleaned_data")
                or form.cleaned_data.get("DELETE")
                or not form.has_changed()
                and not form.instance.pk
            ):
                continue
            instance = form.instance
            if instance.legal_entity_id is None and not instance.external_name:
                continue
            if form.cleaned_data.get("role") == MemberRole.SUPPORT:
                supports += 1
            key = (instance.legal_entity_id, instance.establishment_id, instance.external_name.lower())
            if key in members:
                raise forms.ValidationError(_("Le même membre figure deux fois dans la liste."))
            members.add(key)
        if supports > 1:
            raise forms.ValidationError(_("Une structure n’a qu’un seul établissement support."))

    def _outside_region_rule(self):
        own = self.instance.region_id
        if not own:
            return
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            entity = form.instance.legal_entity
            if entity is None or entity.region_id == own or form.cleaned_data.get("role") == MemberRole.PARTNER:
                continue
            form.add_error(
                "role",
                OUTSIDE_REGION_RULE
                % {"member": entity.name, "region": entity.region.name, "own": self.instance.region.name},
            )


MembershipFormSet = forms.inlineformset_factory(
    CooperationStructure,
    Membership,
    form=MembershipForm,
    formset=BaseMembershipFormSet,
    extra=3,
    can_delete=True,
)


class ImportUploadForm(DsfrFormMixin, forms.ModelForm):
    """An admin's upload of a register file. The content is checked, not
    only the name: JSON (or gzip) for FINESS+, text or an Excel workbook for
    the CSV registers."""

    class Meta:
        model = ImportRun
        fields = ["register", "file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits of the settings (a bound field copies its help text when it is built, in the mixin).
        self.fields["file"].help_text = self["file"].help_text = _(
            "FINESS+ : fichier .json ou .json.gz (%(finessplus)s au plus). Autres : CSV (UTF-8 ou Latin-1) ou XLSX "
            "(établissements : %(finess)s au plus ; GHT : %(ght)s au plus)."
        ) % {kind: format_size(upload_limit(kind)) for kind in ImportRun.Register.values}
        # The DSFR upload component.
        self.fields["file"].widget.attrs["class"] = "fr-upload"
        self.fields["file"].widget.attrs["accept"] = ".json,.gz,.csv,.txt,.xlsx"
        self.fields["file"].widget.group_class = "fr-upload-group"

    def clean(self):
        data = super().clean()
        upload, register = data.get("file"), data.get("register")
        if not upload or not register:
            return data
        too_large = oversize_error(register, upload.size)
        if too_large:
            self.add_error("file", too_large)
            return data
        try:
            ImportRun._meta.get_field("file").generate_filename(None, upload.name)
        except SuspiciousFileOperation:
            # « : » or « .. »: nothing left to store the file under.
            upload.name = "fichier"
        head = upload.read(4096)
        upload.seek(0)
        if not head:
            self.add_error("file", _("Le fichier est vide."))
        elif register == ImportRun.Register.FINESSPLUS:
            if not (head[:2] == b"\x1f\x8b" or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"):
                self.add_error(
                    "file", _("Ce fichier n’est ni du JSON ni du JSON compressé (gzip) : ce n’est pas un flux FINESS+.")
                )
        elif head[:4] == b"PK\x03\x04":
            if register != ImportRun.Register.GHT:
                self.add_error("file", _("Un classeur Excel n’est accepté que pour la liste des membres de GHT."))
        elif b"\x00" in head:
            self.add_error("file", _("Ce fichier n’est pas un fichier texte (CSV)."))
        return data


class LegalNameForm(DsfrFormMixin, forms.Form):
    """The raison sociale of a legal entity, as the région's ARS sets it, and where it comes from."""

    name = forms.CharField(label=_("Raison sociale"), max_length=255)
    justification = forms.CharField(
        label=_("Source du nom"),
        max_length=255,
        help_text=_("Le document qui donne ce nom : statuts, extrait Kbis, arrêté, courrier de l’établissement…"),
    )
