#!/usr/bin/env bash
# What the test suite needs from Debian: the real Kafka clients it runs against `samsa serve`
# (kcat and python3-confluent-kafka, both on librdkafka 2.0.2), and Chromium, in which
# playwright-core opens the chaos timeline page (no browser is downloaded). Does nothing when
# all are there; otherwise installs what is missing with apt (root, or sudo when it is there).
set -euo pipefail

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || missing+=(python3-confluent-kafka)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-clients: ${missing[*]} missing, and installing them needs root" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-test-clients: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
