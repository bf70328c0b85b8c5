#!/bin/bash
# Prefix every line of stdin with the wall-clock time it was read at ($EPOCHREALTIME, microseconds).
# Used on pgcarestore's output (stdout is flushed per line) to split its time into phases.
while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
