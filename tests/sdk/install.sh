#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3 for the SDK tests into
# tests/sdk/node_modules (ignored by git). Needs node and npm; reuses an
# existing install when it is complete.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ -f node_modules/@aws-sdk/client-s3/package.json ] &&
   [ -f node_modules/@aws-sdk/lib-storage/package.json ] &&
   [ -f node_modules/@aws-sdk/s3-request-presigner/package.json ]; then
  exit 0
fi
npm install --no-audit --no-fund --loglevel=error >/dev/null
