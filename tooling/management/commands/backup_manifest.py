import shlex
import subprocess  # nosec B404 - only to catch pg_dump's failure
import tarfile

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.values import ngettext
from tooling import backup

NOT_POSTGRESQL = (
    "DATABASE_URL doit désigner une base PostgreSQL (postgres://…) : la sauvegarde passe par pg_dump "
    "et la restauration par pg_restore."
)


class Command(BaseCommand):
    help = (
        "Manifeste d’une sauvegarde (lignes de chaque table, migrations, SHA-256 de chaque fichier de "
        "MEDIA_ROOT) et vérification d’une restauration ; utilisé par scripts/backup.sh et scripts/restore.sh."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="action")
        actions.add_parser(
            "connection", help="Affiche, pour le shell, les variables libpq (PG…) de DATABASE_URL et MEDIA_ROOT."
        )
        dump = actions.add_parser(
            "dump", help="pg_dump --format=custom, et l’état de la base lu dans le même instantané."
        )
        dump.add_argument("dump_path")
        dump.add_argument("manifest")
        media = actions.add_parser("media", help="Ajoute au manifeste l’empreinte de chaque fichier de l’archive tar.")
        media.add_argument("archive")
        media.add_argument("manifest")
        write = actions.add_parser("write", help="Écrit le manifeste de la base et de MEDIA_ROOT tels qu’ils sont.")
        write.add_argument("manifest")
        verify = actions.add_parser(
            "verify", help="Compare la base et MEDIA_ROOT au manifeste ; code de sortie 1 au moindre écart."
        )
        verify.add_argument("manifest")

    def handle(self, *args, **options):
        action = options["action"]
        if action in {"connection", "dump"} and not backup.is_postgresql():
            raise CommandError(NOT_POSTGRESQL)
        getattr(self, f"handle_{action}")(options)

    def handle_connection(self, options):
        for variable, value in {**backup.pg_environment(), "MEDIA_ROOT": str(settings.MEDIA_ROOT)}.items():
            self.stdout.write(f"export {variable}={shlex.quote(value)}" if value else f"unset {variable}")

    def handle_dump(self, options):
        try:
            version = backup.pg_dump_version()
        except (OSError, subprocess.CalledProcessError):
            raise CommandError("pg_dump introuvable : installez le paquet postgresql-client.") from None
        try:
            state = backup.dump_database(options["dump_path"])
        except subprocess.CalledProcessError as error:
            raise CommandError(
                f"pg_dump a échoué (code {error.returncode}, message ci-dessus) : sa version ({version}) doit être "
                "au moins celle du serveur, et DATABASE_URL doit permettre la connexion."
            ) from None
        backup.write_manifest(options["manifest"], backup.manifest(state, {}, version))
        self.stdout.write(
            f"Base « {state['name']} » ({version}, serveur {state['server_version']}) : {backup.summary(state)}"
        )

    def handle_media(self, options):
        data = self._read(options["manifest"])
        try:
            files = backup.media_from_tar(options["archive"])
        except (OSError, tarfile.TarError) as error:
            raise CommandError(f"Archive des fichiers illisible ({options['archive']}) : {error}") from None
        data["media"] = backup.media_section(files, data["database"]["referenced_files"])
        backup.write_manifest(options["manifest"], data)
        missing = data["media"]["referenced_missing"]
        if missing:
            self.stderr.write(
                ngettext(
                    "ATTENTION : %(n)s fichier cité par la base manque déjà dans MEDIA_ROOT (liste dans le manifeste).",
                    "ATTENTION : %(n)s fichiers cités par la base manquent déjà dans MEDIA_ROOT "
                    "(liste dans le manifeste).",
                    len(missing),
                )
                % {"n": backup.number(len(missing))}
            )
        self.stdout.write(
            "Fichiers : "
            + ngettext("%(n)s fichier", "%(n)s fichiers", len(files)) % {"n": backup.number(len(files))}
            + f" ({backup.human_size(data['media']['bytes'])}), empreintes SHA-256 dans le manifeste"
        )

    def handle_write(self, options):
        state = backup.database_state()
        files = backup.media_from_directory(settings.MEDIA_ROOT)
        backup.write_manifest(options["manifest"], backup.manifest(state, files))
        self.stdout.write(f"Manifeste écrit : {options['manifest']} — {backup.summary(state, files)}")

    def handle_verify(self, options):
        expected = self._read(options["manifest"])
        state = backup.database_state()
        files = backup.media_from_directory(settings.MEDIA_ROOT)
        found = backup.differences(expected, state, files)
        if found:
            for line in backup.report(found):
                self.stderr.write(f"  ÉCART {line}")
            raise CommandError(
                ngettext(
                    "La restauration ne correspond pas à la sauvegarde : %(n)s écart (détail ci-dessus).",
                    "La restauration ne correspond pas à la sauvegarde : %(n)s écarts (détail ci-dessus).",
                    len(found),
                )
                % {"n": backup.number(len(found))}
            )
        self.stdout.write(
            f"Restauration vérifiée contre le manifeste du {expected['created_at']} : {backup.summary(state, files)}, "
            "identiques (lignes de chaque table, migrations, SHA-256 de chaque fichier)."
        )
        if state["pending_migrations"]:
            self.stdout.write(
                ngettext(
                    "%(n)s migration du code n’est pas appliquée à la base restaurée : lancez « python manage.py migrate ».",
                    "%(n)s migrations du code ne sont pas appliquées à la base restaurée : lancez « python manage.py migrate ».",
                    len(state["pending_migrations"]),
                )
                % {"n": len(state["pending_migrations"])}
            )

    def _read(self, path):
        try:
            return backup.read_manifest(path)
        except FileNotFoundError:
            raise CommandError(f"Manifeste introuvable : {path}") from None
        except ValueError as error:  # json.JSONDecodeError included
            raise CommandError(f"Manifeste illisible : {error}") from None
