#!/usr/bin/env bash
# Install Debian packages the test suite needs, those missing only: setup-packages.sh [--as NAME] PACKAGE...
# Packages only: nothing is configured or started. Without arguments: the Java runtime for PySpark's local
# mode (tests/integrations/test_spark.py). setup-postgres.sh calls it for PostgreSQL's packages.
set -euo pipefail

NAME="setup-packages"
if [ "${1:-}" = "--as" ]; then NAME="$2"; shift 2; fi
PACKAGES=("$@")
[ "${#PACKAGES[@]}" -gt 0 ] || PACKAGES=("openjdk-17-jre-headless")

say() { printf '%s: %s\n' "$NAME" "$*"; }

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
[ "$(id -u)" -eq 0 ] || { printf '%s: error: installing %s needs root\n' "$NAME" "${missing[*]}" >&2; exit 1; }
if ! apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt does not know ${missing[*]} yet: apt-get update"
    apt-get update -qq
fi
say "installing ${missing[*]}"
# A JRE's post-install script wants the man page folder that slim Debian images leave out.
mkdir -p /usr/share/man/man1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
