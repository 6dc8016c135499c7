#!/usr/bin/env bash
# Prints Flowlab's benchmark tables: the scrub benchmark natively (release build of lab-core), then
# in headless Chromium on the release site, the time to an interactive lesson, and bundle sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
cargo run --quiet --release -p lab-core --bin lab-bench
[ -f dist/index.html ] || trunk build --release
node scripts/bench-browser.mjs
