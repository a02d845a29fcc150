#!/usr/bin/env bash
# Installs what a fresh Debian 12 / Ubuntu machine lacks to build, test and
# demo Skranke: the C toolchain and X11/GL headers Fyne needs, Xvfb and
# xdotool for the end-to-end tests, PostgreSQL for shopd's tests (they start
# private clusters of their own; the package's default cluster is not used),
# a Go toolchain new enough for go.mod, and in CI mingw-w64 and Wine for the
# Windows package and its smoke test.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need_pkgs=()
pkgs=(gcc pkg-config libc6-dev libgl1-mesa-dev libgl1-mesa-dri xorg-dev libxxf86vm-dev xvfb xdotool x11-apps ca-certificates curl unzip postgresql)
[ "${1:-}" = "--stress" ] && pkgs+=(stress-ng) # make test-stress keeps both cores busy with it.
for p in "${pkgs[@]}"; do
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

# Go: go.mod names the version. A go command that is too old fetches the
# toolchain go.mod names through Go's own toolchain switching (GOTOOLCHAIN),
# from the user's own GOPROXY, so a desk behind its own module mirror works
# too. Without any go, the distribution's golang-go is installed first; one
# older than 1.21 cannot switch, so the same toolchain module is fetched by
# hand from the first proxy in its `go env GOPROXY`.
if ! command -v go >/dev/null 2>&1 && [ ! -x "$HOME/.cache/skranke/go/bin/go" ]; then
  echo "setup: installing golang-go to bootstrap the Go toolchain" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-go >/dev/null
fi
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(awk '/^toolchain /{print $2; exit}' "$root/go.mod")
[ -n "$want" ] || want="go$(awk '/^go /{print $2; exit}' "$root/go.mod")"
have=""
command -v go >/dev/null 2>&1 && have=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)
version_ge() { [ "$(printf '%s\n%s\n' "${2#go}" "${1#go}" | sort -V | head -n1)" = "${2#go}" ]; }
dest="$HOME/.cache/skranke/go" # The Makefile puts its bin first in PATH.
if [ -n "$have" ] && version_ge "$have" "$want"; then
  exit 0
fi
if [ -x "$dest/bin/go" ] && version_ge "$("$dest/bin/go" env GOVERSION)" "$want"; then
  exit 0
fi
mkdir -p "$(dirname "$dest")"
if [ -n "$have" ] && version_ge "$have" "go1.21"; then
  echo "setup: go $have is older than $want; switching with GOTOOLCHAIN=$want" >&2
  goroot=$(cd "$root" && GOTOOLCHAIN="$want" go env GOROOT)
  ln -sfn "$goroot" "$dest"
else
  proxy=$(GOTOOLCHAIN=local go env GOPROXY)
  base=""
  for p in ${proxy//[,|]/ }; do
    case "$p" in http://*|https://*) base="${p%/}"; break ;; esac
  done
  if [ -z "$base" ]; then
    echo "setup: no Go $want and no module proxy in GOPROXY=$proxy to fetch it from; install Go $want" >&2
    exit 1
  fi
  arch=$(dpkg --print-architecture)
  mod="golang.org/toolchain/@v/v0.0.1-$want.linux-$arch.zip"
  echo "setup: fetching Go $want for $arch from $base" >&2
  tmp=$(mktemp -d)
  curl -fsSL "$base/$mod" -o "$tmp/go.zip"
  unzip -q "$tmp/go.zip" -d "$tmp"
  rm -rf "$dest"
  mv "$tmp/golang.org/toolchain@v0.0.1-$want.linux-$arch" "$dest"
  chmod +x "$dest/bin/"* "$dest/pkg/tool/"*/* 2>/dev/null || true
  rm -rf "$tmp"
fi
echo "$dest/bin"
