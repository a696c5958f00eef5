#!/usr/bin/env bash
# The whole test suite: what the README calls "the test command" and what CI
# runs (.ci/run). Needs Go, Node.js 20 with npm; the studio step installs
# Chromium from Debian when it is missing.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -race -count=1 -timeout 20m ./...
# The studio (studio/): its committed build must be what its sources make,
# its first load must stay within budget, and its browser tests run headless
# Chromium (installed from Debian when missing) against the real server.
(cd studio && npm ci --no-audit --no-fund && npm run typecheck && npm run check-build && npm run size && npm run e2e)
