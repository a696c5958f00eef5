#!/usr/bin/env bash
# The whole test suite: what the README calls "the test command" and what CI
# runs (.ci/run). Needs only Go; it installs nothing else today.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -race -count=1 -timeout 20m ./...
