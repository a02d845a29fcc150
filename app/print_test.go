package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
	"github.com/skranke/skranke/printer"
)

func TestNoPrinterSaysSo(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "" })
	f.login("kari", "1234")
	f.scan(f.shop.Code("paid-course"))
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, f.d.scan.StateNow(), "delivery does not depend on the printer")
	assert.Contains(t, f.d.message.Text, "No printer")
}

func TestUnreachablePrinterKeepsDelivery(t *testing.T) {
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://127.0.0.1:1" })
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code)
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, f.d.scan.StateNow())
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "not printed") }, "the failure is shown: %q", f.d.message.Text)
	f.eventually(func() bool { return len(f.shop.Deliveries(code)) == 1 }, "the delivery stands")
	assert.False(t, f.d.scan.Reprint.Disabled(), "the note can be reprinted when the printer is back")
}

// A code no barcode can show (here non-ASCII, in Code128) still prints, as
// text, and staff are told so: they may have to type it in.
func TestCodePrintedAsTextIsSaid(t *testing.T) {
	out := filepath.Join(t.TempDir(), "printer.bin")
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "file://" + out })
	f.login("kari", "1234")
	doc := printer.NewDocument().Text("Gavekort", printer.Style{}, printer.AlignLeft).Barcode(printer.Code128, "KORT-ØÆÅ-1")
	f.d.print("gift card", doc)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "KORT-ØÆÅ-1") }, "the code printed as text is named: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "printed as text")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), "KORT-", "the document printed, the code as text")
}
