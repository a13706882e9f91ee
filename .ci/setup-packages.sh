#!/usr/bin/env bash
# Install the Debian packages the workload tests need besides PostgreSQL: MariaDB's server binaries (the suite
# starts a private server of its own, sqltune.testing.mariadb; nothing here starts or configures one) and
# percona-toolkit (pt-query-digest and pt-fingerprint, which the slow-log tests agree with; it also brings
# perl's DBD::mysql, used by the capture script for server-side prepared statements).
set -euo pipefail

PACKAGES=(mariadb-server percona-toolkit)

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
    say "no apt-get here: install ${missing[*]} yourself; the MySQL/MariaDB tests fail until then"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { printf 'setup-packages: error: installing %s needs root\n' "${missing[*]}" >&2; exit 1; }
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt does not know ${missing[*]} yet: apt-get update"
    apt-get update -qq
fi
say "installing ${missing[*]}"
# policy-rc.d 101: the package's own service is not started (the suite starts a private server).
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1; fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$created" -eq 0 ] || rm -f "$policy"
