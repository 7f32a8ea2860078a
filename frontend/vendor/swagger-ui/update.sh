#!/usr/bin/env bash
# Refresh the vendored Swagger UI (the API reference at /docs) from the npm registry.
# Usage: frontend/vendor/swagger-ui/update.sh [swagger-ui-dist-version]
# Review the diff, run .venv/bin/pytest -q tests/api/test_docs.py, and put the version and the sha256 this prints in
# README.md beside this script.
set -euo pipefail
VERSION="${1:-5.35.0}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null
mkdir dist
tar xzf "swagger-ui-dist-$VERSION.tgz" -C dist
# Only what /docs loads, and the licences. No source maps (fetched only by developer tools, and not shipped).
cp dist/package/swagger-ui-bundle.js dist/package/swagger-ui-bundle.js.LICENSE.txt "$HERE/"
sed -e '/^\/\*# sourceMappingURL=.*\*\/$/d' dist/package/swagger-ui.css > "$HERE/swagger-ui.css"
sed -i -e '/^\/\/# sourceMappingURL=/d' "$HERE/swagger-ui-bundle.js"
cp dist/package/LICENSE dist/package/NOTICE "$HERE/"
! grep -q 'sourceMappingURL' "$HERE/swagger-ui-bundle.js" "$HERE/swagger-ui.css" || { echo "a source map reference is left: check by hand" >&2; exit 1; }
sha256sum "swagger-ui-dist-$VERSION.tgz"
