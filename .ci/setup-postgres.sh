#!/usr/bin/env bash
# Install the Debian packages the test suite's own PostgreSQL needs: HypoPG for the server binaries in
# /usr/lib/postgresql/${PG_VERSION}. Packages only: the suite starts a throwaway server of its own
# (sqltune.testing.postgres) and this script never configures, starts or restarts a cluster.
#
# Overridable: PG_VERSION (15).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PACKAGES=("postgresql-${PG_VERSION}-hypopg")

say() { printf 'setup-postgres: %s\n' "$*"; }

missing=()
for package in "${PACKAGES[@]}"; do
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        say "$package already installed"
    else
        missing+=("$package")
    fi
done
[ "${#missing[@]}" -gt 0 ] || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get here: install ${missing[*]} yourself; tests needing HypoPG fail until then"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { printf 'setup-postgres: error: installing %s needs root\n' "${missing[*]}" >&2; exit 1; }
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt does not know ${missing[*]} yet: apt-get update"
    apt-get update -qq
fi
say "installing ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
