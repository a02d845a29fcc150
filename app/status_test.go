package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/cmd/shopd/shop"
	desksync "github.com/skranke/skranke/sync"
)

func TestConflictsResolvedByManager(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")
	f.scan(code) // Cached.

	// This desk's network goes down; another desk hands the course over meanwhile.
	f.cutOff.Store(true)
	f.scan(code)
	require.Contains(t, f.d.scan.Cache.Text, "OFFLINE")
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	other := desksync.NewClient(f.shop.URL, shop.DemoDesk2Token, desksync.ClientOptions{})
	_, err := other.Deliver(t.Context(), code, f.shop.OpenSession(shop.DemoDesk2Token, shop.DemoStaff2ID), desksync.DeliveryBody{ID: uuid.NewString()})
	require.NoError(t, err)

	// Back online, the shop refuses this desk's delivery: a conflict for a manager.
	f.cutOff.Store(false)
	f.desk.SyncNow()
	f.eventually(func() bool { return f.desk.Status().Conflicts == 1 }, "the refused delivery becomes a conflict")
	f.key(fyne.KeyF4)
	f.eventually(func() bool { return strings.Contains(f.d.status.Outbox.Text, "Refused: 1") }, "the status screen counts the conflict: %q", f.d.status.Outbox.Text)
	assert.Contains(t, f.d.online.Text, "1 refused")
	assert.Empty(t, f.d.status.Conflicts, "staff do not resolve conflicts")

	f.key(fyne.KeyF12)
	f.login("ingrid", "999999")
	f.key(fyne.KeyF4)
	require.Len(t, f.d.status.Conflicts, 1)
	var row *conflictRow
	for _, r := range f.d.status.Conflicts {
		row = r
	}
	assert.Contains(t, row.Conflict.Summary+row.Conflict.Reason, code[:4])

	// Retry sends it again; the shop refuses it again, and it comes back.
	test.Tap(row.Retry)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Put back in the outbox")
	f.eventually(func() bool { return len(f.d.status.Conflicts) == 1 && f.desk.Status().Conflicts == 1 }, "the retried action is refused again")
	for _, r := range f.d.status.Conflicts {
		row = r
	}
	test.Tap(row.Discard)
	f.idle()
	assert.Contains(t, f.d.message.Text, "Write why", "a reason is required")
	test.Type(row.Reason, "Levert i skranke 2")
	test.Tap(row.Discard)
	f.idle()
	assert.Empty(t, f.d.status.Conflicts)
	assert.Equal(t, 0, f.desk.Status().Conflicts)
	assert.Len(t, f.shop.Deliveries(code), 1, "only the other desk's delivery counts")
}

func TestPrinterStatusAndTestPrint(t *testing.T) {
	f := mustOpen(t)
	f.login("kari", "1234")
	f.key(fyne.KeyF4)
	st := f.d.screenStatus()
	assert.Contains(t, st.Printer.Text, "Generic 80 mm")
	test.Tap(st.CheckPrinter)
	f.idle()
	assert.Contains(t, st.Printer.Text, "cannot report", "a file cannot tell its state")
	test.Tap(st.TestPrint)
	f.idle()
	f.eventually(func() bool { return len(f.printed()) > 0 }, "test page not printed")
}
