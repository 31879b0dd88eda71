#!/usr/bin/env bash
# The real Kafka clients the test suite runs against `samsa serve`: Debian's kcat and
# python3-confluent-kafka (both on librdkafka 2.0.2). Does nothing when both already work;
# otherwise installs them with apt (root, or sudo when it is there).
set -euo pipefail

if command -v kcat >/dev/null 2>&1 && /usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-clients: kcat and python3-confluent-kafka are missing, and installing them needs root" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-test-clients: installing kcat and python3-confluent-kafka from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends kcat python3-confluent-kafka >/dev/null
