import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from accounts.models import EntityMembership, Function, Role, User
from cooperations.models import LegalEntity, Region, StructureKind
from demo.accounts import build_demo_accounts
from demo.api import build_demo_api, demo_api_summary
from demo.cpoms import build_demo_cpoms
from demo.diagnostics import build_demo_diagnostic
from demo.follow_up import build_demo_follow_up
from demo.reviews import build_demo_reviews

DEMO_REGION = "11"


def demo_director_entity():
    """A legal entity of the demo région that belongs to a GHT and has a
    single site (so the plain name of that site): the first by GHT code."""
    return (
        LegalEntity.objects.filter(region_id=DEMO_REGION, memberships__structure__kind=StructureKind.GHT)
        .annotate(site_count=Count("establishments", distinct=True))
        .filter(site_count=1)
        .order_by("memberships__structure__short_code", "name")
        .first()
    )


class Command(BaseCommand):
    help = "Crée (ou remet à zéro) un utilisateur de démonstration par rôle, pour l’ARS Île-de-France."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo-cpom-2026")
        region = Region.objects.filter(code=DEMO_REGION).first()
        if region is None or not LegalEntity.objects.filter(region=region).exists():
            raise CommandError(
                "Données de référence absentes : lancez d’abord « python manage.py load_reference_data »."
            )
        # The GHT memberships the register lacks, reconstructed and labelled as such (idempotent):
        # the demo director is chosen among the members of a GHT.
        call_command("build_demo_ght", stdout=self.stdout)
        entity = demo_director_entity()
        if entity is None:
            raise CommandError("Aucune entité de la région de démonstration n’est membre d’un GHT.")
        users = [
            ("admin", "Agnès", "Administratrice", Role.ADMIN, None, None),
            ("negociateur", "Nicolas", "Négociateur", Role.NEGOTIATOR, region, None),
            ("observateur", "Odile", "Observatrice", Role.OBSERVER, region, None),
            ("directeur", "Denis", "Directeur", Role.DIRECTOR, None, entity),
        ]
        with transaction.atomic():
            for username, first, last, role, user_region, user_entity in users:
                user, _created = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@demo.invalid",
                        "role": role,
                        "region": user_region,
                        "is_staff": role == Role.ADMIN,
                        "is_superuser": role == Role.ADMIN,
                        "is_active": True,
                    },
                )
                user.set_password(password)
                user.save()
                if user_entity is not None:
                    EntityMembership.objects.update_or_create(
                        user=user, legal_entity=user_entity, defaults={"function": Function.DIRECTOR}
                    )
            second = build_demo_accounts(region, entity, password)
        negotiator, director = User.objects.get(username="negociateur"), User.objects.get(username="directeur")
        count = build_demo_cpoms(negotiator, director)
        campaign = build_demo_follow_up(negotiator, director)
        finalized, _current, _evaluation = build_demo_reviews(negotiator, director)
        diagnostic = build_demo_diagnostic(negotiator, director)
        self.stdout.write(f"CPOM de démonstration (contenu fictif, référence « DEMO-… ») : {count}")
        self.stdout.write(
            f"Campagne de suivi {campaign.year} ouverte jusqu’au {campaign.closes_on:%d/%m/%Y}, "
            "avec des valeurs déclarées, validées et renvoyées (chiffres fictifs)"
        )
        self.stdout.write(
            f"Revue annuelle {finalized.year} finalisée avec son compte rendu ; revue {finalized.year + 1} et "
            "évaluation finale en cours (remarques fictives)"
        )
        self.stdout.write(f"Diagnostic en cours : « {diagnostic.title} » (réponses et axes fictifs)")
        self.stdout.write(f"Comptes de démonstration (mot de passe pour tous : {password}) :")
        self.stdout.write("  admin        — administrateur (toutes régions, administration)")
        self.stdout.write(f"  negociateur  — négociateur ARS {region.name}")
        self.stdout.write(f"  observateur  — observateur ARS {region.name}")
        self.stdout.write(f"  directeur    — directeur de {entity.name} (FINESS EJ {entity.finess})")
        self.stdout.write(f"  gestionnaire — gestionnaire des accès de l’ARS {region.name} (/utilisateurs/)")
        self.stdout.write(f"  collaborateur — contributeur de {entity.name} (brouillons, sans soumission)")
        self.stdout.write(f"  direction-commune — directeur de {entity.name} et de {second.name}")
        self.stdout.write("  nouveau      — sans rôle, demande d’accès en attente ; une invitation en attente aussi")
        self.stdout.write(demo_api_summary(*build_demo_api(negotiator, director), region=region))
