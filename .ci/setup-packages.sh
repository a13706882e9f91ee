#!/usr/bin/env bash
# Install the Debian packages the test suite needs: HypoPG for the server binaries in
# /usr/lib/postgresql/${PG_VERSION}; MariaDB's server binaries (the suite starts a private server,
# sqltune.testing.mariadb); pgBadger and percona-toolkit (pt-query-digest, pt-fingerprint and perl's DBD::mysql),
# the baselines the workload readers are checked against; Java for Spark's local mode; Chromium, the headless
# browser in which the notebook views' tests open every view (tests/notebook_views). Packages only: the suite
# starts the servers it needs (sqltune.testing) and this script never configures, starts or restarts one.
#
# Overridable: PG_VERSION (15).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PACKAGES=("postgresql-${PG_VERSION}-hypopg" mariadb-server pgbadger percona-toolkit openjdk-17-jre-headless chromium)

say() { printf 'setup-packages: %s\n' "$*"; }

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
    say "no apt-get here: install ${missing[*]} yourself; the tests needing them fail until then"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { printf 'setup-packages: error: installing %s needs root\n' "${missing[*]}" >&2; exit 1; }
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt does not know ${missing[*]} yet: apt-get update"
    apt-get update -qq
fi
say "installing ${missing[*]}"
# policy-rc.d 101: no package starts its own service (the suite starts private servers).
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1; fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$created" -eq 0 ] || rm -f "$policy"
