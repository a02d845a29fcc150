// Package skranke pins dependencies while the packages that use them are written. Temporary.
package skranke

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/lang"
	_ "fyne.io/fyne/v2/test"
	_ "fyne.io/fyne/v2/widget"
	_ "github.com/creack/pty"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/google/uuid"
	_ "github.com/karalabe/usb"
	_ "github.com/makiuchi-d/gozxing"
	_ "github.com/makiuchi-d/gozxing/oned"
	_ "github.com/makiuchi-d/gozxing/qrcode"
	_ "github.com/stretchr/testify/require"
	_ "github.com/tarm/serial"
	_ "golang.org/x/image/font/gofont/goregular"
	_ "golang.org/x/image/font/opentype"
	_ "golang.org/x/text/encoding/charmap"
	_ "modernc.org/sqlite"
)
