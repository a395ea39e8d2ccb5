#!/usr/bin/env bash
# Builds the cho-core cdylib and generates its Kotlin, Swift and Python
# bindings with the workspace's own uniffi-bindgen (same uniffi version as the
# library), in library mode. Settings (Kotlin package nl.cho.core, Swift module
# ChoCore) come from mobile-core/uniffi.toml, which the bindgen finds through
# `cargo metadata`.
#
# Usage: mobile-core/generate-bindings.sh [--release] [--out-dir DIR]
#   --release      build the library with the release profile
#   --out-dir DIR  where to write {kotlin,swift,python}/
#                  (default: <workspace>/target/bindings)
#
# The library itself is not copied into the output: the apps package the one
# they build for their targets (Android: cargo-ndk; iOS: the staticlib).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/.." && pwd)"
profile=debug
cargo_profile=()
out_dir="$workspace/target/bindings"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --release)
            profile=release
            cargo_profile=(--release)
            shift
            ;;
        --out-dir)
            [[ $# -ge 2 ]] || { echo "--out-dir needs a directory" >&2; exit 2; }
            out_dir="$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
    esac
done
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

case "$(uname -s)" in
    Darwin) library_file=libcho_core.dylib ;;
    MINGW* | MSYS* | CYGWIN*) library_file=cho_core.dll ;;
    *) library_file=libcho_core.so ;;
esac

cd "$workspace"
# (The `+` form keeps an empty array working under `set -u` in macOS's bash 3.2.)
cargo build -p cho-core --lib ${cargo_profile[@]+"${cargo_profile[@]}"}
cargo build -p uniffi-bindgen --bin uniffi-bindgen

# Honour CARGO_TARGET_DIR / build.target-dir as cargo does.
target_dir="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[[ -n "$target_dir" ]] || target_dir="${CARGO_TARGET_DIR:-$workspace/target}"
library="$target_dir/$profile/$library_file"
bindgen="$target_dir/debug/uniffi-bindgen"
[[ -f "$library" ]] || { echo "library not found: $library" >&2; exit 1; }

for language in kotlin swift python; do
    rm -rf "${out_dir:?}/$language"
    # Run from the crate directory so `cargo metadata` finds uniffi.toml.
    (cd "$here" && "$bindgen" generate "$library" --language "$language" \
        --out-dir "$out_dir/$language" --no-format)
done

grep -q '^package nl\.cho\.core$' "$out_dir/kotlin/nl/cho/core/cho_core.kt" || {
    echo "generated Kotlin is not in package nl.cho.core: is uniffi.toml read?" >&2
    exit 1
}
[[ -f "$out_dir/swift/ChoCore.swift" ]] || {
    echo "generated Swift module is not ChoCore: is uniffi.toml read?" >&2
    exit 1
}
echo "bindings for $library written to $out_dir/{kotlin,swift,python}"
