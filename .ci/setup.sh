#!/usr/bin/env bash
# Installs what a fresh Debian 12 / Ubuntu machine lacks to build, test and
# demo Skranke: the C toolchain and X11/GL headers Fyne needs, Xvfb and
# xdotool for the end-to-end tests, a Go toolchain new enough for go.mod,
# and in CI mingw-w64 and Wine for the Windows package and its smoke test.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need_pkgs=()
for p in gcc pkg-config libc6-dev libgl1-mesa-dev libgl1-mesa-dri xorg-dev libxxf86vm-dev xvfb xdotool x11-apps ca-certificates curl unzip; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
# The Windows package and its smoke test under Wine (make package-windows,
# make test-windows): always in CI, elsewhere on request (SKRANKE_WINDOWS=1),
# since Wine is large. `make test` runs the smoke test whenever Wine is here.
if [ "${CI:-}" = "true" ] || [ "${SKRANKE_WINDOWS:-}" = "1" ]; then
  for p in gcc-mingw-w64-x86-64 wine wine64 zip binutils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
  done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Go: go.mod names the version; an older or missing go gets the official
# toolchain from the Go module proxy (the same zip GOTOOLCHAIN=auto uses).
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(awk '/^go /{print $2; exit}' "$root/go.mod")
have=""
command -v go >/dev/null 2>&1 && have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
if [ -z "$have" ] || ! version_ge "$have" "$want"; then
  dest="$HOME/.cache/skranke/go" # The Makefile puts its bin first in PATH.
  if [ ! -x "$dest/bin/go" ]; then
    arch=$(dpkg --print-architecture)
    ver="go1.26.8"
    echo "setup: fetching Go toolchain $ver for $arch from the module proxy" >&2
    tmp=$(mktemp -d)
    curl -fsSL "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$ver.linux-$arch.zip" -o "$tmp/go.zip"
    unzip -q "$tmp/go.zip" -d "$tmp"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$tmp/golang.org/toolchain@v0.0.1-$ver.linux-$arch" "$dest"
    chmod +x "$dest/bin/"* "$dest/pkg/tool/"*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  echo "$dest/bin"
fi
