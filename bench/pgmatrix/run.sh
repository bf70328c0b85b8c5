#!/bin/bash
# The PostgreSQL version matrix with every supported major, 13 to 18: archiving, every kind of restore and the next
# timeline on each (tests/PgBorg.IntegrationTests/PostgresVersionMatrixTests.cs). CI runs 13, 16 and 18 of it; run
# this before a release or after a change to WAL handling. ~10 minutes on 2 cores. Needs what scripts/test.sh
# installs (it fetches the server binaries into /var/cache/pgborg-tests itself).
#   bash bench/pgmatrix/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet publish src/PgBorg -c Release -o artifacts/publish
dotnet build tests/PgBorg.IntegrationTests
PGBORG_TEST_ALL_MAJORS=1 tests/PgBorg.IntegrationTests/bin/Debug/net10.0/PgBorg.IntegrationTests \
  -class PgBorg.IntegrationTests.PostgresVersionMatrixTests
