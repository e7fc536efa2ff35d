#!/bin/sh
# Writes the secrets compose.production.yaml mounts, one file each, into deploy/secrets/ (or the folder
# given). Only missing files are written: running it again never rotates a secret a running bank holds.
#
#   deploy/compose/make-secrets.sh [folder]
#
# CLEAVE_DATABASE_PREFIX (default cleave) names each context's database and role (cleave_ledger, ...);
# CLEAVE_DATABASE_HOST (default postgres:5432, the compose service) goes into their URLs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../secrets}
prefix=${CLEAVE_DATABASE_PREFIX:-cleave}
database_host=${CLEAVE_DATABASE_HOST:-postgres:5432}
contexts="identity accounts ledger cards feed webhooks"
# Every NATS user deploy/nats/cleave-auth.conf names (nats-server refuses to start with one unset).
roles=$(grep -o 'CLEAVE_NATS_PASSWORD_[A-Z_]*' "$here/../nats/cleave-auth.conf" | sed 's/CLEAVE_NATS_PASSWORD_//' | sort -u)

command -v openssl >/dev/null || { echo "make-secrets: needs openssl" >&2; exit 1; }
# The folder is the secret's guard on the host; the files stay readable so that the containers' non-root
# user can read them where they are bind-mounted.
mkdir -p "$dir"
chmod 700 "$dir"

# Letters and digits starting with a letter: what nats-server accepts from its environment unquoted.
password() { printf 'p%s' "$(openssl rand -hex 24)"; }
write() {
  [ -s "$dir/$1" ] && return 0
  printf '%s' "$2" > "$dir/$1"
  chmod 644 "$dir/$1"
}

write network_secret "$(openssl rand -hex 32)"
write admin_secret "$(openssl rand -hex 32)"
write card_pan_key "$(openssl rand -hex 32)"
if [ ! -s "$dir/principal_private_key" ]; then
  openssl genpkey -algorithm ed25519 -out "$dir/principal_private_key"
  chmod 644 "$dir/principal_private_key"
  rm -f "$dir/principal_public_key"
fi
[ -s "$dir/principal_public_key" ] || { openssl pkey -in "$dir/principal_private_key" -pubout -out "$dir/principal_public_key" && chmod 644 "$dir/principal_public_key"; }

write postgres_password "$(password)"
for context in $contexts; do
  write "db_${context}_password" "$(password)"
  write "${context}_database_url" "postgres://${prefix}_${context}:$(cat "$dir/db_${context}_password")@${database_host}/${prefix}_${context}"
done

for role in $roles; do
  lower=$(printf '%s' "$role" | tr 'A-Z' 'a-z')
  write "nats_${lower}_password" "$(password)"
done
# nats-server reads its users' passwords from its environment.
if [ ! -s "$dir/nats.env" ]; then
  for role in $roles; do
    lower=$(printf '%s' "$role" | tr 'A-Z' 'a-z')
    printf 'CLEAVE_NATS_PASSWORD_%s=%s\n' "$role" "$(cat "$dir/nats_${lower}_password")"
  done > "$dir/nats.env"
  chmod 644 "$dir/nats.env"
fi
echo "secrets in $dir"
