#!/usr/bin/env bash
# Debian's chromium, for the test that opens a bench report in a real headless browser
# (test/threads/bench-report.test.ts). Needs root (CI and the dev machines run as root);
# does nothing when chromium is already there. Measured here: about 26 s with apt-get update.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
