#!/usr/bin/env bash
# Set up the Python environment from the lock file. Idempotent; safe to run on every make call.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.8
if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
uv sync --frozen --quiet
# PySpark (from the lock) needs a Java runtime; Java 17 is what Spark 4.0 is tested on.
if ! command -v java >/dev/null 2>&1; then
  echo "java not found: installing openjdk-17-jre-headless (for the Spark engine)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
fi

# The console's front-end packages, from the npm registry (never a CDN): installed into the
# git-ignored var/static, served by the app from there. Idempotent: skipped when present.
VENDOR=var/static
if [ ! -f "$VENDOR/node_modules/echarts/dist/echarts.min.js" ] || \
   [ ! -f "$VENDOR/node_modules/htmx.org/dist/htmx.min.js" ]; then
  mkdir -p "$VENDOR"
  npm install --prefix "$VENDOR" --no-save --no-audit --no-fund --no-package-lock --silent \
    echarts@5.6.0 htmx.org@2.0.4 >/dev/null
fi
