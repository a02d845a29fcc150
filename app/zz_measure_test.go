package app_test

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
)

func dump(o fyne.CanvasObject, depth int) {
	if depth > 6 || !o.Visible() {
		return
	}
	fmt.Printf("%*s%T min=%v\n", depth*2, "", o, o.MinSize())
	if c, ok := o.(*fyne.Container); ok {
		for _, ch := range c.Objects {
			dump(ch, depth+1)
		}
	}
}

func TestZZMeasure(t *testing.T) {
	f := mustOpen(t)
	fmt.Println("login", f.d.Window.Content().MinSize())
	f.login("ingrid", "9999")
	fmt.Println("scan empty", f.d.Window.Content().MinSize())
	f.d.Submit(f.shop.Code("many-lines"), "serial:x"); f.idle()
	fmt.Println("many-lines", f.d.Window.Content().MinSize())
	f.d.Submit(f.shop.Code("partly-delivered"), "serial:x"); f.idle()
	f.key(fyne.KeyF6)
	fmt.Println("partly F6", f.d.Window.Content().MinSize())
	f.d.Submit(f.shop.Code("paid-physical"), "serial:x"); f.idle()
	f.key(fyne.KeyReturn)
	fmt.Println("sign", f.d.Scan.SignatureOpen(), f.d.Window.Content().MinSize())
	f.key(fyne.KeyEscape)
	f.key(fyne.KeyF7)
	fmt.Println("credit", f.d.Scan.CreditOpen(), f.d.Window.Content().MinSize())
	f.key(fyne.KeyEscape)
	f.d.Submit(f.shop.Code("card-chain"), "serial:/dev/ttyUSB0")
	f.idle()
	fmt.Println("card", f.d.Window.Content().MinSize())
	f.key(fyne.KeyF3)
	fmt.Println("report", f.d.Window.Content().MinSize())
	f.key(fyne.KeyF4)
	fmt.Println("status", f.d.Window.Content().MinSize())
	f.key(fyne.KeyF5)
	fmt.Println("settings", f.d.Window.Content().MinSize())
	dump(f.d.Window.Content(), 0)
}

func TestZZScan(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	f.d.Submit(f.shop.Code("paid-physical"), "serial:x")
	f.idle()
	f.key(fyne.KeyReturn)
	f.d.Window.Resize(fyne.NewSize(1024, 768))
	dump(f.d.Window.Content(), 0)
}
