#!/bin/bash
# The whole test suite: installs prerequisites, publishes the NativeAOT binary, runs the unit tests and the
# integration tests (real PostgreSQL 15 clusters and real Borg repositories, driving the published binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
dotnet restore PgBorg.slnx
dotnet publish src/PgBorg -c Release -o artifacts/publish --no-restore
dotnet test tests/PgBorg.Tests --no-restore
dotnet test tests/PgBorg.IntegrationTests --no-restore --blame-hang-timeout 10m
