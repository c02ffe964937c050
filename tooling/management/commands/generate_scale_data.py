"""Build (or replace) the national data set of the benchmarks on top of the
real FINESS register; see ``tooling.scale_data``."""

import os

from django.core.management.base import BaseCommand, CommandError

from cooperations.models import LegalEntity
from tooling.scale_data import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    SCALE_REFERENCE_PREFIX,
    SCALE_USERNAME_PREFIX,
    NotEnoughEntitiesError,
    generate_scale_data,
    remove_scale_data,
)


class Command(BaseCommand):
    help = (
        "Génère un jeu national de mesure sur le répertoire FINESS réel : utilisateurs de chaque région, "
        "3 000 CPOM, 15 000 engagements, 50 000 indicateurs et leurs cibles, campagnes et déclarations "
        "(× --factor). Déterministe (--seed) ; remplace le jeu généré précédent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--factor", type=float, default=1.0, help="Taille relative (1 : taille nationale).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--password",
            default=os.environ.get("SCALE_PASSWORD", DEFAULT_PASSWORD),
            help="Mot de passe commun des comptes générés (défaut : $SCALE_PASSWORD ou %(default)s).",
        )
        parser.add_argument("--remove", action="store_true", help="Supprime seulement le jeu généré.")

    def handle(self, *args, factor, seed, password, remove, **options):
        if remove:
            removed = remove_scale_data(log=self.stdout.write)
            self.stdout.write("Rien à supprimer." if not removed else "Jeu de mesure supprimé.")
            return
        if factor <= 0:
            raise CommandError("--factor doit être positif.")
        if not LegalEntity.objects.exists():
            raise CommandError("Répertoire vide : lancez d’abord « python manage.py load_reference_data ».")
        try:
            report = generate_scale_data(factor=factor, seed=seed, password=password, log=self.stdout.write)
        except NotEnoughEntitiesError as error:
            raise CommandError(str(error)) from None
        sizes = report.sizes
        self.stdout.write(
            self.style.SUCCESS(f"Jeu de mesure généré en {report.seconds:.1f} s (facteur {factor:g}, graine {seed}).")
        )
        for label, count in report.counts.items():
            self.stdout.write(f"  {label} : {count}")
        self.stdout.write(
            f"  (visé : {sizes.cpoms} CPOM, {sizes.commitments} engagements, {sizes.indicators} indicateurs, "
            f"{sizes.declarations} déclarations ; une déclaration par indicateur et par année suivie au plus)"
        )
        self.stdout.write(
            f"Marques : référence des CPOM « {SCALE_REFERENCE_PREFIX}… », identifiants « {SCALE_USERNAME_PREFIX}… »."
        )
        self.stdout.write(f"Comptes générés (mot de passe pour tous : {password}) :")
        for code, names in report.negotiators.items():
            self.stdout.write(
                f"  région {code} : {', '.join(names)} (négociateurs), {report.observers[code]} (observateur)"
            )
        self.stdout.write(
            f"  {report.directors} directeurs : {SCALE_USERNAME_PREFIX}directeur-<FINESS EJ> (un par entité ayant un CPOM)"
        )
