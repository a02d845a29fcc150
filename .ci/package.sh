#!/usr/bin/env bash
# Release packages of the desk app, into dist/.
#
#   .ci/package.sh linux          stripped -trimpath build, a .tar.xz and a .deb
#   .ci/package.sh deb-test       installs the .deb with apt (root or sudo),
#                                 checks it, runs it, removes it again
#   .ci/package.sh windows        GUI skranke.exe with icon and version info,
#                                 cross-built with Debian's mingw-w64, in a .zip
#   .ci/package.sh windows-test   the Wine smoke test (see .ci/wine-test.sh)
#
# Name, version, id and desktop texts come from FyneApp.toml, which the build
# only reads: the tree stays clean (checked at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}

toml() { # toml KEY: the first `KEY = value` in FyneApp.toml, unquoted
	awk -v k="$1" -F' *= *' '$1 ~ "^[ \t]*"k"$" {v=$2; gsub(/^"|"$/, "", v); print v; exit}' FyneApp.toml
}
toml_list() { # toml_list KEY: an array value as "a;b;c;"
	awk -v k="$1" -F' *= *' '$1 ~ "^[ \t]*"k"$" {v=$2; gsub(/[][]/, "", v); gsub(/" *, *"/, ";", v); gsub(/"/, "", v); print v ";"; exit}' FyneApp.toml
}
name=$(toml Name)
id=$(toml ID)
version=$(toml Version)
build=$(toml Build)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
ldflags="-s -w"
# The desk's build tags, as the Makefile sets them (run alone: read from it).
desk_tags=${DESK_TAGS:-$(sed -n 's/^export DESK_TAGS := //p' Makefile)}
[ -n "$desk_tags" ] || { echo "package: no DESK_TAGS in the Makefile" >&2; exit 1; }

# tree_state: tracked files' status and content, to prove the build leaves
# them (FyneApp.toml above all) as it found them.
tree_state() { { git status --porcelain --untracked-files=no; git diff HEAD; } 2>/dev/null | md5sum; }
before=$(tree_state)
clean_tree() {
	if [ "$(tree_state)" != "$before" ]; then
		echo "package: the build changed tracked files:" >&2
		git status --short --untracked-files=no >&2
		exit 1
	fi
}

desktop_entry() {
	cat <<DESKTOP
[Desktop Entry]
Type=Application
Name=$name
GenericName=$(toml GenericName)
Comment=$(toml Comment)
Exec=skranke
Icon=$id
Terminal=false
Categories=$(toml_list Categories)
Keywords=$(toml_list Keywords)
DESKTOP
}

# stage DIR PREFIX: lay the files out under DIR/PREFIX.
stage() {
	local d=$1 p=$2
	install -Dm755 dist/build/skranke "$d$p/bin/skranke"
	desktop_entry > "$d/desktop.tmp"
	install -Dm644 "$d/desktop.tmp" "$d$p/share/applications/$id.desktop"
	rm "$d/desktop.tmp"
	install -Dm644 assets/icon.png "$d$p/share/icons/hicolor/512x512/apps/$id.png"
	install -Dm644 .ci/deb/60-skranke.rules "$d$p/lib/udev/rules.d/60-skranke.rules"
	install -Dm644 THIRD_PARTY_LICENSES "$d$p/share/doc/skranke/THIRD_PARTY_LICENSES"
}

# depends: the Debian packages holding the shared libraries the binary needs.
depends() {
	local libs pkgs=() lib path pkg
	libs=$(objdump -p dist/build/skranke | awk '/NEEDED/ {print $2}')
	for lib in $libs; do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64|aarch64|AArch64/ {print $NF; exit}')
		[ -n "$path" ] || { echo "package: $lib not found" >&2; exit 1; }
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null) || { echo "package: no Debian package owns $path" >&2; exit 1; }
		pkgs+=("${pkg%%:*}")
	done
	printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
}

linux() {
	command -v dpkg-deb >/dev/null || { echo "package: dpkg-deb is missing" >&2; exit 1; }
	[ -f THIRD_PARTY_LICENSES ] || $GO run .ci/licenses.go
	rm -rf dist/build dist/tar dist/deb
	mkdir -p dist/build
	CGO_ENABLED=1 $GO build -trimpath -tags "$desk_tags" -ldflags "$ldflags" -o dist/build/skranke ./cmd/skranke

	# Tarball: a tree under usr/local with a Makefile, as fyne package makes.
	local t=dist/tar/$name
	stage "$t" /usr/local
	cat > "$t/Makefile" <<'MAKE'
# Run "sudo make install" to install Skranke under /usr/local.
PREFIX ?= /usr/local
install:
	cp -r usr/local/. $(DESTDIR)$(PREFIX)/
	-udevadm control --reload-rules
	@echo "Add desk users to the dialout group for serial scanners and printers: sudo adduser <user> dialout"
uninstall:
	cd usr/local && find . -type f -exec rm -f "$(DESTDIR)$(PREFIX)/{}" \;
MAKE
	local tarball=dist/$name-$version-linux-$arch.tar.xz
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C dist/tar -cJf "$tarball" "$name"

	# Debian package.
	local d=dist/deb/skranke_${version}_$arch
	stage "$d" /usr
	install -Dm755 .ci/deb/postinst "$d/DEBIAN/postinst"
	local size
	size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
	cat > "$d/DEBIAN/control" <<CONTROL
Package: skranke
Version: $version
Architecture: $arch
Maintainer: Skranke <desk@skranke.example>
Installed-Size: $size
Depends: $(depends)
Section: misc
Priority: optional
Homepage: $(toml Website)
Description: $(toml GenericName) app for gyms and fitness centres
 $(toml Comment).
 .
 Staff scan purchase codes, hand goods over line by line, take signatures,
 use gift cards and print delivery notes on ESC/POS thermal printers over
 serial, USB, TCP or a file. Desk users need the dialout group for serial
 scanners and printers.
CONTROL
	find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	dpkg-deb --root-owner-group -Zxz --build "$d" "dist/skranke_${version}_$arch.deb" >/dev/null
	rm -rf dist/tar dist/deb
	clean_tree
	ls -l "$tarball" "dist/skranke_${version}_$arch.deb" dist/build/skranke
}

deb_test() {
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
			echo "deb-test: needs root or password-less sudo to install the package; skipped" >&2
			exit 0
		fi
	fi
	local deb
	deb=$(ls dist/skranke_*_"$arch".deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || { echo "deb-test: no dist/skranke_*_$arch.deb; run make package first" >&2; exit 1; }
	if dpkg-query -W -f='${Status}' skranke 2>/dev/null | grep -q "install ok installed"; then
		echo "deb-test: skranke is already installed here; not touching it" >&2
		exit 1
	fi
	tmp=$(mktemp -d)
	trap '$sudo apt-get remove -y -qq --purge skranke >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "./$deb" > "$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; exit 1; }
	grep -q "adduser <user> dialout" "$tmp/apt.log" || { echo "deb-test: postinst did not print the dialout note" >&2; cat "$tmp/apt.log" >&2; exit 1; }
	for f in /usr/bin/skranke "/usr/share/applications/$id.desktop" "/usr/share/icons/hicolor/512x512/apps/$id.png" \
		/usr/lib/udev/rules.d/60-skranke.rules /usr/share/doc/skranke/THIRD_PARTY_LICENSES; do
		[ -f "$f" ] || { echo "deb-test: $f not installed" >&2; exit 1; }
	done
	[ "$(command -v skranke)" = /usr/bin/skranke ] || { echo "deb-test: skranke not on PATH" >&2; exit 1; }
	if command -v desktop-file-validate >/dev/null; then desktop-file-validate "/usr/share/applications/$id.desktop"; fi
	# Stripped and built with -trimpath: no symbol table, no build paths.
	local sections
	sections=$(objdump -h /usr/bin/skranke)
	if grep -q '\.symtab\|\.debug_info' <<<"$sections"; then echo "deb-test: binary is not stripped" >&2; exit 1; fi
	if grep -qF "$root" /usr/bin/skranke; then echo "deb-test: binary holds the build path $root" >&2; exit 1; fi
	# The installed program runs and prints the test page to a file.
	SKRANKE_CONFIG_DIR="$tmp/config" /usr/bin/skranke printer-test -printer "file://$tmp/page.bin" -profile epson-tm-t20iii 2> "$tmp/run.log" || { cat "$tmp/run.log" >&2; exit 1; }
	[ "$(head -c 2 "$tmp/page.bin" | od -An -tx1 | tr -d ' ')" = 1b40 ] || { echo "deb-test: test page does not start with ESC @" >&2; exit 1; }
	echo "deb-test: $deb installs with apt, runs (test page $(stat -c %s "$tmp/page.bin") bytes) and removes cleanly"
}

windows() {
	local cc=x86_64-w64-mingw32-gcc
	command -v $cc >/dev/null || { echo "package-windows: $cc is missing (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }
	[ -f THIRD_PARTY_LICENSES ] || $GO run .ci/licenses.go
	mkdir -p dist/windows
	# Icon, version info and a manifest go in as a .syso beside main; it
	# is removed again so the tree stays clean.
	local syso=cmd/skranke/rsrc_windows_amd64.syso
	trap 'rm -f cmd/skranke/rsrc_windows_*.syso' EXIT
	local year
	year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
	$GO run github.com/tc-hib/go-winres@v0.3.3 simply --arch amd64 --out cmd/skranke/rsrc \
		--icon assets/icon.png --manifest gui \
		--product-name "$name" --file-description "$name – $(toml GenericName)" \
		--product-version "$version.$build" --file-version "$version.$build" \
		--original-filename skranke.exe --copyright "© $year Skranke" >/dev/null
	[ -f $syso ] || { echo "package-windows: go-winres made no $syso" >&2; exit 1; }
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$cc $GO build -trimpath -tags "$desk_tags" -ldflags "$ldflags -H windowsgui" -o dist/windows/skranke.exe ./cmd/skranke
	rm -f cmd/skranke/rsrc_windows_*.syso
	# A GUI program (no console window) that carries its resources.
	local pe
	pe=$(x86_64-w64-mingw32-objdump -p -h dist/windows/skranke.exe)
	grep -q '^Subsystem.*(Windows GUI)' <<<"$pe" || { echo "package-windows: skranke.exe is not a GUI program" >&2; exit 1; }
	grep -q '\.rsrc' <<<"$pe" || { echo "package-windows: skranke.exe has no icon or version resources" >&2; exit 1; }
	cp THIRD_PARTY_LICENSES dist/windows/THIRD_PARTY_LICENSES.txt
	local zip=dist/$name-$version-windows-amd64.zip
	rm -f "$zip"
	(cd dist/windows && find skranke.exe THIRD_PARTY_LICENSES.txt -exec touch -d "@$SOURCE_DATE_EPOCH" {} + && zip -qX "$root/$zip" skranke.exe THIRD_PARTY_LICENSES.txt)
	clean_tree
	ls -l dist/windows/skranke.exe "$zip"
}

case "${1:-}" in
linux) linux ;;
deb-test) deb_test ;;
windows) windows ;;
windows-test) exec bash .ci/wine-test.sh ;;
*)
	echo "usage: $0 linux|deb-test|windows|windows-test" >&2
	exit 2
	;;
esac
