#!/usr/bin/env bash
# The crate graph ARCHITECTURE.md promises, checked on the normal (non-dev) dependency trees:
#   - sim, the kernel, avro, the Avro format library, and prose, the lesson prose library, depend on
#     no other crate of the workspace;
#   - an engine (every crates/* folder but sim, avro, lab and cli: broker, sql, registry...) depends on
#     no other engine (registry uses the avro library, which is not an engine);
#   - no crate but the app (the root package) depends on a browser crate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
browser='^(yew|yew-router|web-sys|gloo|gloo-.*|wasm-bindgen|wasm-bindgen-futures|js-sys|getrandom)$'
package_of() { awk -F'"' '/^name = / { print $2; exit }' "crates/$1/Cargo.toml"; }
deps_of() { cargo tree -p "$1" -e normal --prefix none --format '{p}' | awk '{ print $1 }' | sort -u | { grep -vx "$1" || true; }; }
engines=()
for dir in crates/*/; do
  name=$(basename "$dir")
  case "$name" in sim|avro|prose|lab|cli) ;; *) engines+=("$(package_of "$name")") ;; esac
done
failed=0
for dir in crates/*/; do
  crate=$(package_of "$(basename "$dir")")
  deps=$(deps_of "$crate")
  if bad=$(grep -E "$browser" <<<"$deps"); then
    echo "$crate depends on browser crates: $(tr '\n' ' ' <<<"$bad")"; failed=1
  fi
  case "$crate" in
    sim|avro|prose)
      for other in "${engines[@]}" sim avro prose lab lab-cli; do
        if [ "$other" != "$crate" ] && grep -qx "$other" <<<"$deps"; then echo "the library $crate depends on $other"; failed=1; fi
      done ;;
    lab|lab-cli) ;;
    *)
      for other in "${engines[@]}"; do
        if [ "$other" != "$crate" ] && grep -qx "$other" <<<"$deps"; then
          echo "engine $crate depends on engine $other: wire engines together in crates/lab"; failed=1
        fi
      done ;;
  esac
done
[ "$failed" = 0 ] && echo "crate layers hold: libraries sim, avro, prose; engines ${engines[*]}; composition lab; cli lab-cli"
exit "$failed"
