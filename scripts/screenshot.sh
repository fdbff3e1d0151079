#!/usr/bin/env bash
# Render the weekly report of the bundled sample and screenshot it in headless
# Chromium (Debian package `chromium`) for the README: docs/weekly-summary.png.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
cargo run -q -- -q weekly --out "$out" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --hide-scrollbars --window-size=680,1500 \
  --screenshot="$PWD/docs/weekly-summary.png" "file://$out/weekly/2026-W46/summary.html" 2>/dev/null
rm -rf "$out"
echo docs/weekly-summary.png
