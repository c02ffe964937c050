#!/usr/bin/env bash
# CI: prove a backup restores. The demo is loaded into a throwaway database (as `make demo` does:
# migrate, reference data, seed_demo), with the files the application itself writes (stored annex
# PDFs of the signed versions, an evidence file attached by the director, a ZIP archive of annexes);
# `make backup`, then `make restore` into a second fresh database and another MEDIA_ROOT, verified
# against the manifest. Then the refusals: a restore over a non-empty database without FORCE=1, a
# damaged backup, a changed file; and FORCE=1 over the restored copy. Prints the figures. Both
# databases are dropped at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
SERVER=${ROUNDTRIP_SERVER:-postgres://postgres@127.0.0.1:5432}
source_db="cpom_backup_src_$$"
target_db="cpom_backup_dst_$$"
tmp=$(mktemp -d)
log="$tmp/journal.txt"

cleanup() {
  for db in "$source_db" "$target_db"; do
    psql "$SERVER/postgres" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "ÉCHEC : $*" >&2
  [ -s "$log" ] && tail -n 30 "$log" >&2
  exit 1
}
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }' | tr . ,; }
megabytes() { awk -v n="$1" 'BEGIN { printf "%.2f Mo", n / 1000000 }' | tr . ,; }

# The demo's Celery tasks (annex archive) run eagerly in this process.
unset REDIS_URL
export DATABASE_URL="$SERVER/$source_db" MEDIA_ROOT="$tmp/media-source" BACKUP_DIR="$tmp/backups"
psql "$SERVER/postgres" -qAtc "CREATE DATABASE $source_db" >/dev/null

echo "Chargement de la démo dans $source_db (migrate, données de référence, seed_demo)"
start=$(now)
{
  $PY manage.py migrate --noinput -v0 && $PY manage.py load_reference_data && $PY manage.py seed_demo
} >>"$log" 2>&1 || fail "chargement de la démo"
# seed_demo writes no file: the application's own code writes them, as a user's actions would.
$PY manage.py shell -c '
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.models import User
from cpom.annex import annex_pdf, request_archive
from cpom.models import Cpom
from indicators import services
from indicators.models import Declaration, DeclarationStatus
admin, director = User.objects.get(username="admin"), User.objects.get(username="directeur")
cpoms = list(Cpom.objects.filter(reference__startswith="DEMO-").order_by("reference"))
annexes = [annex_pdf(cpom, version, admin) for cpom in cpoms for version in cpom.versions.order_by("number") if version.is_signed]
draft = (Declaration.objects.filter(status=DeclarationStatus.DRAFT,
                                    indicator__commitment__cpom__legal_entity__in=director.legal_entities.all())
         .select_related("campaign", "indicator__commitment__cpom").first())
with annexes[0].file.open("rb") as handle:
    evidence = SimpleUploadedFile("compte-rendu-comite.pdf", handle.read(), "application/pdf")
services.save_declarations(director, draft.campaign, draft.indicator.commitment.cpom.legal_entity_id,
                           [services.Entry(draft.indicator, draft.value, draft.text, "Compte rendu du comité joint.", evidence)])
request_archive(admin, cpoms, "Annexes des CPOM de démonstration")
' >>"$log" 2>&1 || fail "fichiers de la démo (annexes, justificatif, archive)"
echo "Démo chargée en $(seconds "$start" "$(now)") s ; fichiers écrits par l’application :"
(cd "$MEDIA_ROOT" && find . -type f | sort | sed 's/^\.\//  /')
[ -n "$(find "$MEDIA_ROOT" -type f -print -quit)" ] || fail "aucun fichier dans MEDIA_ROOT : le hachage ne prouverait rien"

echo "=== make backup ==="
start=$(now)
make -s backup
backup_time=$(seconds "$start" "$(now)")
backup=$(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'cpom-*' | head -n 1)
[ -n "$backup" ] && [ ! -e "$backup.partiel" ] || fail "make backup n’a pas écrit de sauvegarde complète dans $BACKUP_DIR"

echo "=== make restore dans une base neuve ==="
psql "$SERVER/postgres" -qAtc "CREATE DATABASE $target_db" >/dev/null
export DATABASE_URL="$SERVER/$target_db" MEDIA_ROOT="$tmp/media-restored"
start=$(now)
make -s restore BACKUP="$backup"
restore_time=$(seconds "$start" "$(now)")

echo "=== ce qui doit être refusé ==="
if make -s restore BACKUP="$backup" >>"$log" 2>&1; then
  fail "une restauration dans une base non vide sans FORCE=1 a été acceptée"
fi
grep -q "n’est pas vide" "$log" || fail "le refus d’une base non vide ne dit pas pourquoi"
echo "  refusée : restauration dans une base non vide sans FORCE=1"

changed=$(cd "$MEDIA_ROOT" && find . -type f -name '*.pdf' | sort | head -n 1 | sed 's/^\.\///')
cp "$MEDIA_ROOT/$changed" "$tmp/original.pdf"
printf 'x' >>"$MEDIA_ROOT/$changed"
if $PY manage.py backup_manifest verify "$backup/manifest.json" >>"$log" 2>&1; then
  fail "la vérification n’a pas vu un fichier modifié ($changed)"
fi
echo "  refusée : vérification après modification d’un fichier ($changed)"
cp "$tmp/original.pdf" "$MEDIA_ROOT/$changed"

damaged="$tmp/damaged"
cp -r "$backup" "$damaged"
printf 'x' >>"$damaged/media.tar"
if make -s restore BACKUP="$damaged" FORCE=1 >>"$log" 2>&1; then
  fail "une sauvegarde altérée a été restaurée"
fi
echo "  refusée : sauvegarde altérée (SHA256SUMS), même avec FORCE=1"

echo "=== make restore FORCE=1 par-dessus la copie restaurée ==="
start=$(now)
make -s restore BACKUP="$backup" FORCE=1
force_time=$(seconds "$start" "$(now)")

read -r tables rows files media_bytes < <($PY -c '
import json, sys
manifest = json.load(open(sys.argv[1], encoding="utf-8"))
database, media = manifest["database"], manifest["media"]
rows = format(database["rows"], ",").replace(",", "\u202f")
print(len(database["tables"]), rows, media["count"], media["bytes"])
' "$backup/manifest.json")
echo "=== aller-retour sauvegarde et restauration : résultats ==="
echo "  base (pg_dump --format=custom)   : $(megabytes "$(stat -c %s "$backup/database.dump")")"
echo "  fichiers (tar)                   : $(megabytes "$(stat -c %s "$backup/media.tar")") pour $files fichiers ($(megabytes "$media_bytes"))"
echo "  durée de make backup             : $backup_time s"
echo "  durée de make restore (base neuve): $restore_time s ; avec FORCE=1 : $force_time s"
echo "  vérifiés                         : $tables tables, $rows lignes, $files fichiers (SHA-256)"
