#!/usr/bin/env bash
# Smoke test of the Windows build under Debian's Wine (run by
# `make test-windows`, which builds dist/windows/skranke.exe and bin/skranke):
#  1. `skranke.exe printer-test -printer file:///Z:/…` writes the same bytes
#     as the Linux build, for an 80 mm and a 58 mm profile;
#  2. the GUI program starts under Xvfb with no configuration, opens its
#     window and shows the first-run (login with "Set up this desk…") screen.
# Every wait is for something the program or X reports, with a deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=$PWD/dist/windows/skranke.exe
lin=${SKRANKE_LINUX_BIN:-$PWD/bin/skranke} # the Linux build to compare with
for f in "$exe" "$lin"; do [ -x "$f" ] || [ -f "$f" ] || { echo "wine-test: $f missing" >&2; exit 1; }; done
for t in wine Xvfb xdotool xwd; do command -v $t >/dev/null || { echo "wine-test: $t missing (.ci/setup.sh installs it in CI)" >&2; exit 1; }; done

tmp=$(mktemp -d)
export WINEPREFIX=$tmp/wine WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
xvfb=""
cleanup() {
	wineserver -k >/dev/null 2>&1 || true
	[ -z "$xvfb" ] || kill "$xvfb" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
start=$(date +%s)
# The X display comes first: Wine's desktop process (explorer.exe) is started
# by the first program of a prefix and outlives it for a few seconds; one
# started without $DISPLAY gives every later program of the prefix "no
# driver could be loaded", and the GUI could not create a window whenever it
# came up before the desktop of printer-test had gone. Xvfb writes its
# display number when it is ready.
mkfifo "$tmp/displayfd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/displayfd" >/dev/null 2>&1 &
xvfb=$!
read -r -t 60 num <"$tmp/displayfd" || { echo "wine-test: Xvfb did not start" >&2; exit 1; }
export DISPLAY=:$num
# A fresh prefix: wineboot returns when it is ready.
wineboot --init >/dev/null 2>&1 || true
# Wine 8.0 (Debian 12) lacks bcryptprimitives.dll, which Go's Windows
# runtime needs; give the prefix a stand-in unless Wine has its own.
sys32=$WINEPREFIX/drive_c/windows/system32
if [ ! -e "$sys32/bcryptprimitives.dll" ]; then
	x86_64-w64-mingw32-gcc -shared -O2 -s -o "$sys32/bcryptprimitives.dll" .ci/wine/bcryptprimitives.c -ladvapi32
fi
echo "wine-test: $(wine --version) prefix ready in $(( $(date +%s) - start )) s"

# 1. Same test-page bytes from Windows and Linux.
for profile in epson-tm-t20iii generic-58; do
	SKRANKE_CONFIG_DIR=$tmp/lin-$profile "$lin" printer-test -printer "file://$tmp/linux-$profile.bin" -profile "$profile" 2>"$tmp/lin.log" ||
		{ cat "$tmp/lin.log" >&2; exit 1; }
	if ! SKRANKE_CONFIG_DIR="Z:$tmp/win-$profile" wine "$exe" printer-test -printer "file:///Z:$tmp/windows-$profile.bin" -profile "$profile" >"$tmp/win.log" 2>&1; then
		echo "wine-test: skranke.exe printer-test failed for $profile:" >&2
		cat "$tmp/win.log" >&2
		exit 1
	fi
	[ -s "$tmp/windows-$profile.bin" ] || { echo "wine-test: skranke.exe wrote no test page for $profile" >&2; cat "$tmp/win.log" >&2; exit 1; }
	cmp "$tmp/linux-$profile.bin" "$tmp/windows-$profile.bin" ||
		{ echo "wine-test: $profile test page differs between Linux and Windows" >&2; exit 1; }
	echo "wine-test: $profile test page identical on Windows and Linux ($(stat -c %s "$tmp/windows-$profile.bin") bytes)"
done

# 2. The GUI, on the display every Wine process of this prefix has had.
gui=$(date +%s)
SKRANKE_CONFIG_DIR="Z:$tmp/gui" wine "$exe" -lang en >"$tmp/gui.log" 2>&1 &
app=$!
# The desk logs "window shown" once Fyne's event loop runs (or, if Wine
# gives a GUI program no stderr, the window appearing is the event).
if ! timeout 180 xdotool search --sync --onlyvisible --name '^Skranke$' >"$tmp/win.id" 2>/dev/null; then
	echo "wine-test: no Skranke window appeared" >&2
	cat "$tmp/gui.log" >&2
	exit 1
fi
win=$(head -n1 "$tmp/win.id")
if [ -s "$tmp/gui.log" ]; then
	timeout 60 grep -q -m1 'window shown' <(tail -n +1 -F "$tmp/gui.log" 2>/dev/null) ||
		{ echo "wine-test: the app did not report its window" >&2; cat "$tmp/gui.log" >&2; exit 1; }
	if grep -q 'staff list loaded\|staff logged in' "$tmp/gui.log"; then
		echo "wine-test: a desk with no configuration got past the first-run screen" >&2
		exit 1
	fi
fi
kill -0 "$app" 2>/dev/null || { echo "wine-test: skranke.exe exited" >&2; cat "$tmp/gui.log" >&2; exit 1; }
# The window shows the login screen with its setup button: something drawn,
# not one flat colour.
xwd -silent -id "$win" >"$tmp/shot.xwd"
colours=$(od -An -v -tx4 -j 3000 "$tmp/shot.xwd" | tr -s ' ' '\n' | sort -u | wc -l)
[ "$colours" -gt 8 ] || { echo "wine-test: the window is blank ($colours colours)" >&2; exit 1; }
if [ -n "${SKRANKE_WINE_KEEP:-}" ]; then mkdir -p "$SKRANKE_WINE_KEEP" && cp "$tmp/gui.log" "$tmp/shot.xwd" "$SKRANKE_WINE_KEEP/"; fi
echo "wine-test: GUI window up in $(( $(date +%s) - gui )) s, $colours colours drawn; whole test $(( $(date +%s) - start )) s"
