#!/usr/bin/env bash
# Render the weekly report of the bundled sample and screenshot it in headless
# Chromium (Debian package `chromium`) for the README: docs/weekly-summary.png.
set -euo pipefail
cd "$(dirname "$0")/.."
# Emoji in customer comments need a colour emoji font to show (not a box).
if ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null
fi
out=$(mktemp -d)
cargo run -q -- -q weekly --out "$out" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --hide-scrollbars --window-size=680,1500 \
  --screenshot="$PWD/docs/weekly-summary.png" "file://$out/weekly/2026-W46/summary.html" 2>/dev/null
rm -rf "$out"
echo docs/weekly-summary.png
