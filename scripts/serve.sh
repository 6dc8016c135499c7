#!/usr/bin/env bash
# Builds Flowlab and serves it on http://127.0.0.1:8080, rebuilding on change.
# Installs the wasm32 target, trunk and the matching wasm-bindgen CLI first when they are missing.
# Pass --release for the optimized build that static hosting gets.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$FLOWLAB_ROOT"
echo "Flowlab will be served at http://127.0.0.1:8080 (Ctrl+C to stop)"
exec trunk serve --address 127.0.0.1 --port 8080 "$@"
