#!/usr/bin/env bash
# Install the Debian packages the test suite's own PostgreSQL needs: HypoPG for the server binaries in
# /usr/lib/postgresql/${PG_VERSION}. Packages only: the suite starts a throwaway server of its own
# (sqltune.testing.postgres) and this script never configures, starts or restarts a cluster.
#
# Overridable: PG_VERSION (15).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
exec bash "$(dirname "$0")/setup-packages.sh" --as setup-postgres "postgresql-${PG_VERSION}-hypopg"
