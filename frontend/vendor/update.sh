#!/usr/bin/env bash
# Refresh the vendored Preact (+ hooks) and htm from the npm registry. Usage: frontend/vendor/update.sh [preact-version] [htm-version]
# Review the diff, run the browser tests (.venv/bin/pytest -q tests/e2e), and update the versions in README.md.
set -euo pipefail
PREACT="${1:-11.2.0}"
HTM="${2:-3.1.1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "preact@$PREACT" "htm@$HTM" >/dev/null
mkdir preact htm
tar xzf "preact-$PREACT.tgz" -C preact
tar xzf "htm-$HTM.tgz" -C htm
# No source maps (they would be fetched only by developer tools, and are not shipped).
# hooks imports the bare name "preact": a browser without an import map (the CSP forbids an inline one) needs a path.
sed -e '/^\/\/# sourceMappingURL=/d' preact/package/dist/preact.mjs > "$HERE/preact/preact.mjs"
sed -e '/^\/\/# sourceMappingURL=/d' -e 's/from"preact"/from".\/preact.mjs"/' preact/package/hooks/dist/hooks.mjs > "$HERE/preact/hooks.mjs"
cp preact/package/LICENSE "$HERE/preact/LICENSE"
sed -e '/^\/\/# sourceMappingURL=/d' htm/package/dist/htm.module.js > "$HERE/htm/htm.mjs"
cp htm/package/LICENSE "$HERE/htm/LICENSE"
grep -q 'from"./preact.mjs"' "$HERE/preact/hooks.mjs" || { echo "hooks.mjs no longer imports \"preact\" as expected: check it by hand" >&2; exit 1; }
sha256sum "preact-$PREACT.tgz" "htm-$HTM.tgz"
