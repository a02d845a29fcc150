#!/usr/bin/env bash
# Runs the demo: shopd with demo data on loopback and the desk app against it,
# printing to a file printer whose jobs the app previews. Called by `make demo`.
set -euo pipefail
dir=$1 addr=$2 profile=$3
root=$(cd "$(dirname "$0")/.." && pwd)

# A fresh demo every time, so the demo codes start in their documented states.
rm -rf "$dir"
mkdir -p "$dir/config" "$dir/desk"

"$root/bin/shopd" -demo -db "$dir/shop.db" -addr "$addr" >"$dir/shopd.log" 2>&1 &
shopd=$!
xvfb=""
cleanup() {
  kill "$shopd" 2>/dev/null || true
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  curl -fs "http://$addr/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$shopd" 2>/dev/null || { echo "shopd failed to start:"; cat "$dir/shopd.log"; exit 1; }
  sleep 0.1
done

echo
echo "Skranke demo: shop API on http://$addr (OpenAPI: http://$addr/openapi.yaml)"
echo "Staff PINs: see README (e.g. 1234 for staff, 999999 for the manager)."
echo "Demo codes to scan or type (then Enter):"
"$root/bin/shopd" -demo-codes | sed 's/^/  /'
echo "Printed jobs: $dir/printer.bin (each also rendered as PNG beside it)."
echo

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: starting Xvfb on :77 (connect a VNC viewer or take screenshots with xwd -root -display :77)."
  Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 &
  xvfb=$!
  export DISPLAY=:77
  sleep 1
fi

SKRANKE_CONFIG_DIR="$dir/config" SKRANKE_TOKEN=demo-desk-token "$root/bin/skranke" \
  -shop "http://$addr" -data "$dir/desk" \
  -printer "file://$dir/printer.bin" -profile "$profile" -preview
