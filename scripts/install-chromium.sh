#!/usr/bin/env bash
# Installs Debian's Chromium for the browser end-to-end test (`npm run test:e2e`), which drives
# /usr/bin/chromium with playwright-core (Playwright's own browser download cannot work offline).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root or sudo and the
# Debian package mirror; `.ci/run` can call it before `npm run test:e2e`.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium') is already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
echo "install-chromium: installed $(/usr/bin/chromium --version)"
