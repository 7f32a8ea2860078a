#!/usr/bin/env bash
# Refresh the vendored readability libraries (flesch, syllable and syllable's two dependencies) from the npm registry.
# Usage: frontend/vendor/update-readability.sh [flesch] [syllable] [pluralize] [normalize-strings]   (versions)
# Review the diff, run the browser tests (.venv/bin/pytest -q tests/e2e/test_plain_words.py), and update README.md.
set -euo pipefail
FLESCH="${1:-2.0.1}"
SYLLABLE="${2:-5.0.1}"
PLURALIZE="${3:-8.0.0}"
NORMALIZE="${4:-1.1.1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "flesch@$FLESCH" "syllable@$SYLLABLE" "pluralize@$PLURALIZE" "normalize-strings@$NORMALIZE" >/dev/null
for name in flesch syllable pluralize normalize-strings; do mkdir "$name"; tar xzf "$name"-*.tgz -C "$name"; done
mkdir -p "$HERE/flesch" "$HERE/syllable" "$HERE/pluralize" "$HERE/normalize-strings"

# flesch and syllable are ES modules: syllable's bare imports become paths (no import map: the CSP forbids inline).
cp flesch/package/index.js "$HERE/flesch/flesch.mjs"
cp flesch/package/license "$HERE/flesch/LICENSE"
sed -e "s#from 'pluralize'#from '../pluralize/pluralize.mjs'#" \
    -e "s#from 'normalize-strings'#from '../normalize-strings/normalize-strings.mjs'#" \
    -e "s#from './problematic.js'#from './problematic.mjs'#" \
    syllable/package/index.js > "$HERE/syllable/syllable.mjs"
cp syllable/package/problematic.js "$HERE/syllable/problematic.mjs"
cp syllable/package/license "$HERE/syllable/LICENSE"

# pluralize and normalize-strings are CommonJS (UMD): their own code, unchanged, between a few lines that give it
# the `module` (and, for normalize-strings, the `require` of its charmap.json) it expects and export the result.
{
  echo "// pluralize $PLURALIZE (CommonJS) as an ES module: frontend/vendor/update-readability.sh"
  echo "const module = { exports: {} };"
  echo "const exports = module.exports;"
  echo "const require = () => { throw new Error(\"pluralize needs nothing more\"); };"
  cat pluralize/package/pluralize.js
  echo "export default module.exports;"
} > "$HERE/pluralize/pluralize.mjs"
cp pluralize/package/LICENSE "$HERE/pluralize/LICENSE"
{
  echo "// normalize-strings $NORMALIZE (CommonJS) as an ES module: frontend/vendor/update-readability.sh"
  echo "const charmap = $(cat normalize-strings/package/charmap.json);"
  echo "const require = (name) => { if (name === \"./charmap.json\") return charmap; throw new Error(name); };"
  echo "const module = { exports: {} };"
  cat normalize-strings/package/index.js
  echo "export default module.exports;"
} > "$HERE/normalize-strings/normalize-strings.mjs"
# The package declares MIT in package.json and ships no licence text: keep its own words about it.
{
  echo "normalize-strings $NORMALIZE, by Pablo Terradillos (contributors: Cristian Douce, Daithi Coombes)."
  echo "https://github.com/tehsis/normalize"
  echo
  echo "package.json declares: \"license\": \"$(node -p "require('./normalize-strings/package/package.json').license")\"."
  echo "The package ships no licence text. The MIT License, as it applies:"
  echo
  sed -n '/^Permission is hereby granted/,$p' pluralize/package/LICENSE
} > "$HERE/normalize-strings/LICENSE"

grep -q "from '../pluralize/pluralize.mjs'" "$HERE/syllable/syllable.mjs" || { echo "syllable no longer imports pluralize as expected: check it by hand" >&2; exit 1; }
grep -q "from '../normalize-strings/normalize-strings.mjs'" "$HERE/syllable/syllable.mjs" || { echo "syllable no longer imports normalize-strings as expected" >&2; exit 1; }
grep -q "require('./charmap.json')" "$HERE/normalize-strings/normalize-strings.mjs" || { echo "normalize-strings no longer requires charmap.json as expected" >&2; exit 1; }
sha256sum flesch-*.tgz syllable-*.tgz pluralize-*.tgz normalize-strings-*.tgz
