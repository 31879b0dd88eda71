#!/usr/bin/env bash
# The vitest suite once under each Node that samsa supports: the machine's own (the one
# running npm), then Node 22 and Node 24 from npm (devDependencies node22, node24). Extra
# arguments go to every vitest run (`npm test -- test/threads/chaos.test.ts`).
# Each run has its Node's directory first on PATH, so that a child a test starts as `node`
# (npm pack, the CLI) runs on that Node too; node_modules/.bin has a `node` of its own,
# from whichever of node22 and node24 npm linked last.
set -uo pipefail
cd "$(dirname "$0")/.."

machine_node="${npm_node_execpath:-$(command -v node)}"
nodes=("$machine_node" node_modules/node22/bin/node node_modules/node24/bin/node)

failed=()
for node in "${nodes[@]}"; do
  version="$("$node" --version)"
  echo
  echo "=== vitest on Node ${version} (${node}) ==="
  started=$SECONDS
  if PATH="$(cd "$(dirname "$node")" && pwd):$PATH" "$node" node_modules/vitest/vitest.mjs run "$@"; then
    echo "=== Node ${version}: passed in $((SECONDS - started)) s ==="
  else
    echo "=== Node ${version}: FAILED after $((SECONDS - started)) s ==="
    failed+=("$version")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "vitest failed on Node ${failed[*]}" >&2
  exit 1
fi
echo "vitest passed on Node $("${nodes[0]}" --version), $("${nodes[1]}" --version) and $("${nodes[2]}" --version)"
