#!/bin/sh
# PostgreSQL's first start (/docker-entrypoint-initdb.d): one database and one login role per context,
# each role owning its database and reaching no other, so a compromised service reads only its own data.
# Passwords come from the secrets make-secrets.sh wrote (db_<context>_password), mounted in /run/secrets.
set -eu
secrets=${CLEAVE_SECRETS_DIR:-/run/secrets}
prefix=${CLEAVE_DATABASE_PREFIX:-cleave}
found=0
for file in "$secrets"/db_*_password; do
  [ -e "$file" ] || continue
  found=1
  context=$(basename "$file" | sed 's/^db_//; s/_password$//')
  name="${prefix}_${context}"
  password=$(cat "$file")
  # CREATE DATABASE can't run inside a transaction block: one statement per psql command, autocommit.
  psql -v ON_ERROR_STOP=1 -q --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "cleave: database and role ${name}"
done
[ "$found" = 1 ] || { echo "cleave: no db_<context>_password secrets in $secrets" >&2; exit 1; }
