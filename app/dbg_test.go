package app_test

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestDbg(t *testing.T) {
	f := mustOpen(t)
	f.login("ingrid", "9999")
	f.scan(f.shop.Code("paid-course"))
	s := f.d.Scan
	t.Logf("disabled=%v visible=%v", s.CreditButton.Disabled(), s.CreditButton.Visible())
	test.Tap(s.CreditButton)
	t.Logf("focused=%T msg=%q", f.d.Window.Canvas().Focused(), f.d.Message.Text)
	f.d.Window.Canvas().Focus(s.CreditAmount)
	t.Logf("focused=%T", f.d.Window.Canvas().Focused())
}
