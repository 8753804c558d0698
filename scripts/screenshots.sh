#!/usr/bin/env bash
# Refreshes the tracked docs/screenshots/*.png from the demo store as a
# newcomer gets it: brings it up (scripts/up.sh, reused when running), resets
# it to the seed catalog (scripts/reset.sh), runs the browser suite against it
# one test file at a time (so no other file's test products are in a picture)
# with its screenshots into target/screenshots-docs/, and only when every test
# passed replaces docs/screenshots/*.png with them. Resets the store again
# afterwards, passed or not. Stops the LocalStack it started.
#
#   scripts/screenshots.sh && git status docs/screenshots
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=stacks.sh
. scripts/stacks.sh
# shellcheck source=../localstack/lib.sh
. localstack/lib.sh
ls_stop_on_exit_unless_running
scripts/up.sh
scripts/reset.sh

shots=$PWD/target/screenshots-docs
rm -rf "$shots"
mkdir -p "$shots"
echo "== browser suite against the demo store, screenshots into $shots"
set +e
SCREENSHOT_DIR=$shots SPA_TEST_CONCURRENCY=1 spa/test.sh "$(cat "$(stack_dir "$DEMO_STACK")/api-url")"
status=$?
set -e
echo "== the demo store back to the seed catalog"
scripts/reset.sh
if [[ $status -ne 0 ]]; then
  echo "screenshots: the browser suite failed; docs/screenshots/ left as it was" >&2
  exit "$status"
fi
rm -f docs/screenshots/*.png
cp "$shots"/*.png docs/screenshots/
echo "== docs/screenshots/: $(find docs/screenshots -name '*.png' | wc -l) pictures"
git status --short docs/screenshots
