#!/usr/bin/env bash
# Builds the WebAssembly kernels (wasm/, crate mergeops-kernels) into dist/kernels.wasm,
# after running the crate's native tests (the scalar references).
#
# Uses Debian's Rust 1.63 (/usr/bin/rustc, /usr/bin/cargo) and its wasm32 standard library,
# never rustup's toolchains (rustup cannot install the wasm32 target offline). The output is
# byte-identical from any checkout directory: source paths are remapped and the release
# profile strips names and custom sections.
#
# Usage: scripts/build-wasm.sh [--skip-tests] [--out FILE]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE="$ROOT/wasm"
OUT="$ROOT/dist/kernels.wasm"
RUN_TESTS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-tests) RUN_TESTS=0 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build-wasm: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

APT_HINT="apt-get update && apt-get install -y rustc cargo libstd-rust-dev-wasm32 lld-14"
die() {
  echo "build-wasm: error: $1" >&2
  echo "build-wasm: install the toolchain with: $APT_HINT" >&2
  exit 1
}

RUSTC=/usr/bin/rustc
CARGO=/usr/bin/cargo
[ -x "$RUSTC" ] || die "$RUSTC not found (Debian's rustc 1.63 is required, rustup's toolchains cannot target wasm32 here)"
[ -x "$CARGO" ] || die "$CARGO not found"
SYSROOT="$("$RUSTC" --print sysroot)"
compgen -G "$SYSROOT/lib/rustlib/wasm32-unknown-unknown/lib/libcore-*.rlib" >/dev/null \
  || die "the wasm32-unknown-unknown standard library is missing from $SYSROOT/lib/rustlib (package libstd-rust-dev-wasm32)"
LLD="$(command -v rust-lld || true)"
{ [ -n "$LLD" ] && [ -e "$(readlink -f "$LLD")" ]; } \
  || die "the wasm linker rust-lld (a link to lld-14) is missing (package lld-14)"

# A clean, explicit environment: nothing from the caller's cargo/rustc settings leaks in.
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER
export RUSTC
export CARGO_TARGET_DIR="$CRATE/target"
export CARGO_INCREMENTAL=0
export SOURCE_DATE_EPOCH=0

cd "$CRATE"

if [ "$RUN_TESTS" = 1 ]; then
  echo "build-wasm: native tests of the scalar references ($("$RUSTC" --version))"
  RUSTFLAGS="" "$CARGO" test --offline --quiet
fi

echo "build-wasm: building wasm32-unknown-unknown (+simd128)"
RUSTFLAGS="-C target-feature=+simd128 -C link-arg=--max-memory=4294967296 --remap-path-prefix=$CRATE=/mergeops-kernels --remap-path-prefix=$HOME=/home" \
  "$CARGO" build --offline --release --target wasm32-unknown-unknown

BUILT="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/mergeops_kernels.wasm"
[ -f "$BUILT" ] || { echo "build-wasm: error: cargo did not produce $BUILT" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$BUILT" "$OUT"
echo "build-wasm: wrote $OUT ($(wc -c <"$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -d' ' -f1))"
