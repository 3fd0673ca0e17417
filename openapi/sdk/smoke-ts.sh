#!/usr/bin/env bash
# Type-checks openapi/sdk/smoke.ts against the generated types (tsc --strict) and runs it with
# node. Needs JOBIN_URL and JOBIN_SET_PLAN (openapi/sdk/smoke.sh sets both) and the tools and
# types that openapi/sdk/generate.sh installs and writes.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="$PWD/target/tools/ts"
build="$tools/smoke"
rm -rf "$build"
mkdir -p "$build"
cp openapi/sdk/smoke.ts "$build/smoke.ts"
cp target/sdk/typescript/api.d.ts "$build/api.d.ts"
cat >"$build/package.json" <<'JSON'
{ "type": "module", "private": true }
JSON
cat >"$build/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "noUncheckedIndexedAccess": false,
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": ["node"],
    "skipLibCheck": true,
    "outDir": "out"
  },
  "files": ["smoke.ts"]
}
JSON
(cd "$build" && "$tools/node_modules/.bin/tsc" -p tsconfig.json)
node "$build/out/smoke.js"
