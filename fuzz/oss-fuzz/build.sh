#!/bin/bash -eu
# Builds every cargo-fuzz target of jpki-mobile and copies it, with its seed
# corpus, to $OUT, as OSS-Fuzz and ClusterFuzzLite expect.
#
# On OSS-Fuzz (nightly Rust, $SANITIZER set by the infrastructure) this uses
# the sanitizer asked for. Locally, with only stable Rust, run it as
#   SANITIZER=none OUT=/tmp/jpki-fuzz-out bash fuzz/oss-fuzz/build.sh
# (a build without a sanitizer; see fuzz/README.md).

SRC_DIR="${SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/jpki-mobile"
[ -d "$SRC_DIR/fuzz" ] || SRC_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:?set OUT to the output folder}"
SANITIZER="${SANITIZER:-address}"
mkdir -p "$OUT"
cd "$SRC_DIR"

# seed corpora from the committed vector files
cargo run --quiet -p jpki-conformance -- fuzz-corpus --out "$SRC_DIR/fuzz/corpus"

cd fuzz
cargo fuzz build --release --sanitizer "$SANITIZER"
target_dir="target/x86_64-unknown-linux-gnu/release"
for target in $(cargo fuzz list); do
    cp "$target_dir/$target" "$OUT/$target"
    if [ -d "corpus/$target" ]; then
        (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
done
echo "built: $(cargo fuzz list | tr '\n' ' ')-> $OUT"
