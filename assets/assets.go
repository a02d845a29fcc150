// Package assets holds the files Skranke embeds in its binary: the icon, the
// centre logo printed on gift cards, and the UI translations.
package assets

import (
	"embed"
	_ "embed"
)

// Icon is the application icon, a 512×512 PNG.
//
//go:embed icon.png
var Icon []byte

// Logo is the default centre logo for printouts, a black-on-white PNG.
//
//go:embed logo.png
var Logo []byte

// Translations holds one JSON file per language (en.json, nb.json) in the
// format of fyne's lang package, under the folder "translations".
//
//go:embed translations/*.json
var Translations embed.FS
