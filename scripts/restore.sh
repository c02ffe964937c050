#!/usr/bin/env bash
# make restore BACKUP=backups/cpom-…: restore a backup of scripts/backup.sh into the DATABASE_URL
# database and MEDIA_ROOT, then compare both with the backup's manifest (row count of every table,
# migrations, SHA-256 of every file); exit 1 with the differences on any.
#
# Refused, before anything changes, when the backup is damaged (SHA256SUMS), when the database is
# not empty or MEDIA_ROOT holds files — unless FORCE=1: then pg_restore --clean --if-exists replaces
# the database's objects, and the files in MEDIA_ROOT are moved aside to MEDIA_ROOT.avant-restauration-<date>
# (never deleted). Stop the web server, the Celery worker and beat first.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
FORCE=${FORCE:-0}

fail() {
  echo "ERREUR : $*" >&2
  exit 1
}

[ -n "${BACKUP:-}" ] || fail "Indiquez la sauvegarde à restaurer : make restore BACKUP=backups/cpom-AAAAMMJJTHHMMSSZ"
[ -d "$BACKUP" ] || fail "Sauvegarde introuvable : $BACKUP (un répertoire écrit par make backup)."
for file in database.dump media.tar manifest.json SHA256SUMS; do
  [ -f "$BACKUP/$file" ] || fail "Sauvegarde incomplète : $BACKUP/$file manque."
done
[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL n’est pas défini : indiquez la base PostgreSQL où restaurer (postgres://…)."
command -v "$PY" >/dev/null 2>&1 || fail "Python introuvable ($PY) : lancez « make setup » ou indiquez PYTHON=…"
command -v pg_restore >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 \
  || fail "pg_restore ou psql introuvable : installez le paquet postgresql-client."

echo "Contrôle des empreintes de $BACKUP (SHA256SUMS)"
(cd "$BACKUP" && sha256sum --check --quiet --strict SHA256SUMS) \
  || fail "La sauvegarde $BACKUP est altérée (SHA256SUMS ne correspond plus) : restauration refusée, rien n’a été modifié."

connection=$("$PY" manage.py backup_manifest connection)
eval "$connection"

# Everything that could refuse is checked before anything changes.
relations=$(psql --no-psqlrc --no-password --tuples-only --no-align --quiet --dbname="$PGDATABASE" --command "
  SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'") \
  || fail "Connexion impossible à la base « $PGDATABASE » (message ci-dessus) : vérifiez DATABASE_URL."
clean=()
if [ "$relations" -gt 0 ]; then
  [ "$FORCE" = 1 ] || fail "La base « $PGDATABASE » n’est pas vide ($relations tables, vues ou séquences) : restauration refusée, rien n’a été modifié. Restaurez dans une base vide, ou relancez avec FORCE=1 pour remplacer son contenu (pg_restore --clean --if-exists)."
  clean=(--clean --if-exists)
fi
media_in_place=""
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
  [ "$FORCE" = 1 ] || fail "MEDIA_ROOT ($MEDIA_ROOT) contient déjà des fichiers : restauration refusée, rien n’a été modifié. Videz-le, ou relancez avec FORCE=1 (ses fichiers seront mis de côté, pas supprimés)."
  media_in_place=1
fi

# One transaction: a restore that fails leaves the database as it was. The objects belong to the
# user of DATABASE_URL (--no-owner, --no-privileges): the application's own role on this server.
echo "Restauration de la base « $PGDATABASE »${clean:+ (FORCE=1 : son contenu actuel est remplacé)}"
pg_restore --no-password --no-owner --no-privileges --single-transaction "${clean[@]}" \
  --dbname="$PGDATABASE" "$BACKUP/database.dump" \
  || fail "pg_restore a échoué (message ci-dessus) : la base « $PGDATABASE » est restée telle qu’elle était."

if [ -n "$media_in_place" ]; then
  aside="${MEDIA_ROOT%/}.avant-restauration-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$aside"
  find "$MEDIA_ROOT" -mindepth 1 -maxdepth 1 -exec mv -t "$aside" -- {} +
  echo "FORCE=1 : les fichiers présents dans MEDIA_ROOT sont mis de côté dans $aside"
fi
mkdir -p "$MEDIA_ROOT"
echo "Restauration des fichiers dans $MEDIA_ROOT"
tar --extract --file "$BACKUP/media.tar" --directory "$MEDIA_ROOT"

echo "Vérification contre le manifeste"
"$PY" manage.py backup_manifest verify "$BACKUP/manifest.json" \
  || fail "Restauration NON conforme à la sauvegarde $BACKUP (écarts ci-dessus)."
