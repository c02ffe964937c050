from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from api.tokens import issue_token
from cooperations.models import Region


class Command(BaseCommand):
    help = (
        "Crée un jeton d’API pour un utilisateur et l’affiche (une seule fois) : jeton d’entité pour un directeur, "
        "jeton de région (lecture seule) pour un négociateur ou un administrateur (--region)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="Nom du jeton : l’outil ou le système qui l’utilise.")
        parser.add_argument("--days", type=int, default=None, help="Durée de validité en jours (90 par défaut).")
        parser.add_argument("--region", default=None, help="Code INSEE de la région (administrateur).")

    def handle(self, *args, username, name, days, region, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Aucun utilisateur actif « {username} ».")
        chosen = None
        if region is not None:
            chosen = Region.objects.filter(code=region).first()
            if chosen is None:
                raise CommandError(f"Aucune région de code « {region} ».")
        try:
            token, key = issue_token(user, name, days, chosen)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except PermissionDenied:
            raise CommandError(
                f"« {username} » ({user.get_role_display()}) ne peut pas détenir ce jeton : un directeur détient "
                "celui de son entité, un négociateur celui de sa région, un administrateur celui d’une région."
            ) from None
        self.stderr.write(
            f"Jeton « {token.name} » ({token.get_kind_display()}, {token.scope_label}), "
            f"valable jusqu’au {timezone.localtime(token.expires_at):%d/%m/%Y} — il ne sera plus affiché :"
        )
        self.stdout.write(key)
