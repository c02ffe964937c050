#!/usr/bin/env bash
# make backup: one directory BACKUP_DIR/cpom-<UTC date> holding
#   database.dump  pg_dump --format=custom of DATABASE_URL
#   media.tar      MEDIA_ROOT (evidence files, stored annex PDFs, annex archives, imported files)
#   manifest.json  row count of every table, applied migrations, SHA-256 and size of every file,
#                  date, pg_dump and server versions (manage.py backup_manifest)
#   SHA256SUMS     of the three files above, checked before any restore
# The rows are counted in the very snapshot pg_dump reads, and the files are archived after the
# dump: every file a dumped row names is in the archive (files are never rewritten in place).
# The directory is written as <name>.partiel and renamed only once complete.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
BACKUP_DIR=${BACKUP_DIR:-./backups}

fail() {
  echo "ERREUR : $*" >&2
  exit 1
}

[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL n’est pas défini : indiquez la base PostgreSQL à sauvegarder (postgres://…)."
command -v "$PY" >/dev/null 2>&1 || fail "Python introuvable ($PY) : lancez « make setup » ou indiquez PYTHON=…"
command -v pg_dump >/dev/null 2>&1 || fail "pg_dump introuvable : installez le paquet postgresql-client (version majeure au moins celle du serveur)."
command -v tar >/dev/null 2>&1 || fail "tar introuvable."

# PG* variables and MEDIA_ROOT as Django reads them (refused if DATABASE_URL is not PostgreSQL).
connection=$("$PY" manage.py backup_manifest connection)
eval "$connection"

# The backup holds personal data (names, e-mail addresses, password hashes, evidence): readable by its owner only.
umask 077
mkdir -p "$BACKUP_DIR"
final="$BACKUP_DIR/cpom-$(date -u +%Y%m%dT%H%M%SZ)"
work="$final.partiel"
[ ! -e "$final" ] && [ ! -e "$work" ] || fail "$final existe déjà : relancez dans une seconde."
mkdir "$work"
trap 'rm -rf "$work"' EXIT

echo "Sauvegarde de la base « $PGDATABASE » et de $MEDIA_ROOT vers $final"
"$PY" manage.py backup_manifest dump "$work/database.dump" "$work/manifest.json"

if [ -d "$MEDIA_ROOT" ]; then
  tar --create --file "$work/media.tar" --directory "$MEDIA_ROOT" .
else
  echo "ATTENTION : MEDIA_ROOT ($MEDIA_ROOT) n’existe pas : l’archive des fichiers est vide." >&2
  tar --create --file "$work/media.tar" --files-from /dev/null
fi
"$PY" manage.py backup_manifest media "$work/media.tar" "$work/manifest.json"

(cd "$work" && sha256sum database.dump media.tar manifest.json >SHA256SUMS)
mv "$work" "$final"
trap - EXIT
echo "Sauvegarde terminée : $final ($(du -sh "$final" | cut -f1))"
