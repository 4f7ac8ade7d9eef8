# Sourced by run.sh and test.sh (after node-env.sh): compiles the TypeScript when there is no
# build yet or a source is newer than the last one, and says which; a current build is used
# as it is.
mailcode_stamp=dist/.built
mailcode_sources=$(ls -d src db bench tsconfig.json package-lock.json 2>/dev/null || true)
if [ ! -f "$mailcode_stamp" ]; then
  echo "mailcode: compiling TypeScript (no build yet; about 20 s the first time)…" >&2
# shellcheck disable=SC2086 # the project's own paths, without spaces
elif [ -n "$(find $mailcode_sources -newer "$mailcode_stamp" -print -quit)" ]; then
  echo "mailcode: compiling TypeScript (sources changed since the last build)…" >&2
else
  mailcode_stamp=
fi
if [ -n "$mailcode_stamp" ]; then
  npx tsc -p tsconfig.json
  touch "$mailcode_stamp"
fi
