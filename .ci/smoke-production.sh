#!/usr/bin/env bash
# The README's runbook, run for real (by .ci/run): build, ship the files to a new folder, install
# the production dependencies only (`npm ci --omit=dev`), start the compiled server, check the page,
# the health check and the headers, take an online backup, verify it, export, stop with SIGTERM.
# Usage: .ci/smoke-production.sh [DATABASE_URL]: SQLite, then PostgreSQL too when a URL is given
# (.ci/run gives one for the least-privilege role the runbook creates).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Build (runbook: "Build") ---
npm run build >/dev/null

# --- The files to ship, installed with production dependencies only ---
ship="$(mktemp -d)"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$ship"
}
trap cleanup EXIT
cp -r dist package.json package-lock.json .npmrc "$ship/"
(cd "$ship" && npm ci --omit=dev --prefer-offline --no-audit --no-fund >/dev/null)
if [ -e "$ship/node_modules/tsx" ] || [ -e "$ship/node_modules/vite" ]; then echo "dev dependencies were installed" >&2; exit 1; fi

# One run of the shipped server on SQLite (no argument) or PostgreSQL (a URL).
run() {
  local database_url="$1"
  # --- Start (runbook: "Environment", "Start") ---
  export AUDIT_TRUSTED_ISSUERS='[{"fhirBase":"https://fhir.hospital.example/r4","mode":"jwks"}]'
  export AUDIT_FRAME_ANCESTORS='https://ehr.hospital.example'
  export AUDIT_TRUST_PROXY='127.0.0.1'
  export AUDIT_SQLITE_PATH="$ship/data/audit.sqlite"
  export AUDIT_PORT=0
  export AUDIT_ADMIN_TOKEN=smoke-admin-credential-0123456789abcdef
  if [ -n "$database_url" ]; then export DATABASE_URL="$database_url" AUDIT_PG_SCHEMA=careloop_audit; else unset DATABASE_URL AUDIT_PG_SCHEMA; fi
  : >"$ship/server.log"
  (cd "$ship" && exec node dist/server/main.js >"$ship/server.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 100); do grep -q '^Audit: ' "$ship/server.log" 2>/dev/null && break; sleep 0.1; done
  local url
  url="$(sed -n 's/^Audit: \(http[^ ]*\).*/\1/p' "$ship/server.log")"
  [ -n "$url" ] || { cat "$ship/server.log" >&2; exit 1; }

  # --- Check (runbook: "Check a deployment") ---
  curl -fsS "$url/api/health" | grep -q '"status":"ok"'
  local headers
  headers="$(curl -fsS -D - -o /dev/null "$url/")"
  grep -qi '^content-security-policy: .*frame-ancestors https://ehr.hospital.example' <<<"$headers"
  grep -qi '^x-content-type-options: nosniff' <<<"$headers"
  grep -qi '^referrer-policy: no-referrer' <<<"$headers"
  curl -fsS -D - -o /dev/null -H 'X-Forwarded-Proto: https' "$url/" | grep -qi '^strict-transport-security: max-age=31536000'
  if find "$ship/dist" -name '*.map' | grep -q .; then echo "source maps shipped" >&2; exit 1; fi
  curl -fsS -H "Authorization: Bearer $AUDIT_ADMIN_TOKEN" "$url/api/audit/verify" | grep -q '"ok":true'

  # --- Backup, verify, export (runbook: "SQLite: backup and restore", "Retention") ---
  if [ -z "$database_url" ]; then
    (cd "$ship" && node dist/server/main.js backup "$ship/backup.sqlite" && node dist/server/main.js verify "$ship/backup.sqlite" && node dist/server/main.js export "$ship/archive.ndjson" --before 2999-01-01) >/dev/null
  fi

  # --- Stop (runbook: "Graceful shutdown") ---
  kill -TERM "$pid"
  wait "$pid"
  pid=
  grep -q 'Audit: closed' "$ship/server.log"
  echo "smoke-production: ok on $([ -n "$database_url" ] && echo PostgreSQL || echo SQLite)"
}

run ""
if [ -n "${1:-}" ]; then run "$1"; fi
