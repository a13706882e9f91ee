#!/usr/bin/env bash
# Prepare the Debian PostgreSQL cluster the test suite uses: HypoPG installed, pg_stat_statements preloaded
# and both extensions created in the test database.
#
# Run as root on the CI runner (Debian, PostgreSQL 15, cluster "main"). Idempotent: every step checks first,
# and the cluster is restarted only when shared_preload_libraries actually had to change (or it was down).
# Where no Debian PostgreSQL cluster exists (a laptop), the suite falls back to the embedded server
# (sqltune.testing.postgres) and this script has nothing to do.
#
# Overridable: PG_VERSION (15), PG_CLUSTER (main), PG_DATABASE (test).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_DATABASE="${PG_DATABASE:-test}"

say() { printf 'setup-postgres: %s\n' "$*"; }
die() { printf 'setup-postgres: error: %s\n' "$*" >&2; exit 1; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ ! -d "/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}" ]; then
    say "no Debian PostgreSQL ${PG_VERSION}/${PG_CLUSTER} cluster here; the tests will use the embedded server."
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and restarts the cluster)"

# Port and status from pg_lsclusters: "ver cluster port status owner datadir logfile".
cluster_field() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $'"$1"'}'; }
PORT="$(cluster_field 3)"
[ -n "$PORT" ] || die "pg_lsclusters does not list ${PG_VERSION}/${PG_CLUSTER}"

psql_as_postgres() {
    # $1 = database, rest = psql arguments; connects over the local socket as the postgres superuser.
    local database="$1"
    shift
    runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -p "$PORT" -d "$database" "$@"
}

wait_until_ready() {
    local tries=0
    until runuser -u postgres -- pg_isready -q -p "$PORT" && psql_as_postgres postgres -c 'SELECT 1' >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || die "cluster ${PG_VERSION}/${PG_CLUSTER} did not answer within 60 s"
        sleep 1
    done
}

# 1. HypoPG from Debian; refresh the package lists only when apt does not know the package yet.
HYPOPG_PACKAGE="postgresql-${PG_VERSION}-hypopg"
if dpkg-query -W -f='${Status}' "$HYPOPG_PACKAGE" 2>/dev/null | grep -q 'install ok installed'; then
    say "$HYPOPG_PACKAGE already installed"
else
    if ! apt-cache policy "$HYPOPG_PACKAGE" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        say "apt does not know $HYPOPG_PACKAGE yet: apt-get update"
        apt-get update -qq
    fi
    say "installing $HYPOPG_PACKAGE"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$HYPOPG_PACKAGE"
fi

# 2. The cluster must be running to read and change its settings.
if [ "$(cluster_field 4)" != "online" ]; then
    say "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start
fi
wait_until_ready

# 3. shared_preload_libraries must include pg_stat_statements. It is a list GUC whose elements are quoted
#    separately, so ALTER SYSTEM gets one literal per library ('a', 'b'), never one string 'a,b'.
current="$(psql_as_postgres postgres -c 'SHOW shared_preload_libraries')"
if printf '%s' "$current" | tr ',' '\n' | tr -d ' "' | grep -qx 'pg_stat_statements'; then
    say "shared_preload_libraries already includes pg_stat_statements (${current})"
else
    literals=""
    while IFS= read -r library || [ -n "$library" ]; do
        library="$(printf '%s' "$library" | sed -e 's/^ *//' -e 's/ *$//' -e 's/^"//' -e 's/"$//')"
        [ -n "$library" ] || continue
        literals+="'${library//\'/\'\'}', "
    done < <(printf '%s' "$current" | tr ',' '\n')
    literals+="'pg_stat_statements'"
    say "ALTER SYSTEM SET shared_preload_libraries = ${literals}"
    psql_as_postgres postgres -c "ALTER SYSTEM SET shared_preload_libraries = ${literals}"
    say "restarting cluster ${PG_VERSION}/${PG_CLUSTER} to load it"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" restart
    wait_until_ready
fi

# 4. The test database and the extensions in it.
if [ "$(psql_as_postgres postgres -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DATABASE}'")" != "1" ]; then
    say "creating database ${PG_DATABASE}"
    runuser -u postgres -- createdb -p "$PORT" "$PG_DATABASE"
fi
psql_as_postgres "$PG_DATABASE" \
    -c 'SET client_min_messages = warning' \
    -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' \
    -c 'CREATE EXTENSION IF NOT EXISTS hypopg'
say "ready: $(psql_as_postgres "$PG_DATABASE" -c "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension WHERE extname IN ('hypopg', 'pg_stat_statements')") in database ${PG_DATABASE} on port ${PORT}"
