package app

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke"
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

// statusPrinter is a network printer on loopback: it answers the status
// questions (DLE EOT n) before a job with answers[n], or not at all while
// silent, and counts the jobs that reach it.
type statusPrinter struct {
	ln      net.Listener
	mu      sync.Mutex
	silent  bool
	answers map[byte]byte
	jobs    int
	last    []byte // The last job's bytes.
	all     []byte // Every job's bytes, one after the other.
}

func startStatusPrinter(t *testing.T) *statusPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	sp := &statusPrinter{ln: ln, answers: map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go sp.serve(c)
		}
	}()
	return sp
}

func (sp *statusPrinter) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		q, err := r.Peek(3)
		if err != nil || q[0] != 0x10 || q[1] != 0x04 {
			break
		}
		sp.mu.Lock()
		ans, silent := sp.answers[q[2]], sp.silent
		sp.mu.Unlock()
		r.Discard(3)
		if !silent {
			c.Write([]byte{ans})
		}
	}
	job, _ := io.ReadAll(r)
	if len(job) > 0 {
		sp.mu.Lock()
		sp.jobs++
		sp.last = job
		sp.all = append(sp.all, job...)
		sp.mu.Unlock()
	}
}

func (sp *statusPrinter) set(silent bool, answers map[byte]byte) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.silent = silent
	if answers != nil {
		sp.answers = answers
	}
}

func (sp *statusPrinter) lastJob() []byte {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.last
}

func (sp *statusPrinter) jobCount() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.jobs
}

// A printer that missed the status question once (busy with the last job)
// is asked again next time: staff read that the first document went out
// unchecked, and that the next ones did not print when the roll is empty.
func TestMissedPrinterStatusIsNotForever(t *testing.T) {
	sp := startStatusPrinter(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://" + sp.ln.Addr().String() })
	f.login("kari", "1234")

	sp.set(true, nil)
	code := f.shop.Code("paid-course")
	f.scan(code)
	f.key(fyne.KeyReturn)
	assert.Equal(t, stateDelivered, f.d.scan.StateNow())
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "delivery note") }, "the print is reported: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "did not say whether it has paper", "the note went out without knowing there is paper")
	assert.NotContains(t, f.d.message.Text, "Printed the delivery note")
	f.eventually(func() bool { return sp.jobCount() == 1 }, "the note reached the printer")

	// The printer answers again: its roll is empty.
	sp.set(false, map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72})
	card := printer.NewDocument().Text("Gavekort", printer.Style{}, printer.AlignLeft)
	f.d.print(label("print.cards"), card, card)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "gift cards") }, "the print is reported: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "not printed")
	assert.Contains(t, f.d.message.Text, "out of paper")

	// A new roll, nearly used up already: printed, and staff hear of it.
	sp.set(false, map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1e})
	f.d.print(label("print.cards"), card, card)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "Printed the gift cards") }, "the print is reported: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "paper is running low")
	// Exactly the note and these two cards: none went out while the roll was empty.
	f.eventually(func() bool { return sp.jobCount() == 3 }, "the note and the two cards reach the printer, and nothing else")
}

// A partial use of a gift card whose new card does not print (the roll ran
// out): the customer's remaining money is on that card, and nobody holds
// its code. Staff read the code, the card waits on the gift card screen,
// and F8 prints it, as the original, once the printer has paper again.
// The desk said only that the void slip and new card were not printed,
// with the screen cleared, so the new card could not be printed again.
func TestRemainderCardThatDidNotPrintCanBePrinted(t *testing.T) {
	sp := startStatusPrinter(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://" + sp.ln.Addr().String() })
	f.login("kari", "1234")
	code := f.shop.Code("card-1000")
	f.scan(code)
	c := f.d.screenCards()
	require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)

	sp.set(false, map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72}) // Out of paper.
	test.Type(c.Amount, "250")
	c.Amount.Submit()
	f.idle()
	f.key(fyne.KeyReturn)
	rem := f.shop.Card(code).RemainderCode
	require.NotEmpty(t, rem, "%q", f.d.message.Text)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "not printed") }, "the print is reported: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, skranke.GroupCode(rem), "staff are not told the new card's code")
	assert.Zero(t, sp.jobCount())
	require.NotNil(t, c.Card(), "the new card is not on the screen to print again")
	require.Equal(t, rem, c.Card().Code)

	sp.set(false, map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}) // A new roll.
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return !f.d.isBusy() && sp.jobCount() == 1 }, "the new card was not printed: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, "Printed")
	assert.True(t, bytes.Contains(sp.lastJob(), []byte(rem)), "the job is not the new card")
	assert.False(t, bytes.Contains(sp.lastJob(), []byte("COPY")), "the card that never printed is printed as a copy")
}

// A delivery note the printer did not print at all (out of paper, said
// before the job) is printed with F8 as the original once the roll is
// changed; only a second F8 prints a copy. The desk printed the customer's
// only note marked COPY (KOPI), as if an original existed.
func TestNoteThatNeverPrintedIsReprintedAsTheOriginal(t *testing.T) {
	sp := startStatusPrinter(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://" + sp.ln.Addr().String() })
	f.login("kari", "1234")
	code := f.shop.Code("paid-course")

	sp.set(false, map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72}) // Out of paper.
	f.scan(code)
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	f.eventually(func() bool { return !f.d.isBusy() && strings.Contains(f.d.message.Text, "not printed") }, "the print is reported: %q", f.d.message.Text)
	require.Zero(t, sp.jobCount())

	sp.set(false, map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}) // A new roll.
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return !f.d.isBusy() && sp.jobCount() == 1 }, "the note was not printed: %q", f.d.message.Text)
	assert.True(t, bytes.Contains(sp.lastJob(), []byte(code)), "the job is not the note")
	assert.False(t, bytes.Contains(sp.lastJob(), []byte("COPY")), "the only note printed is marked as a copy")

	f.key(fyne.KeyF8)
	f.eventually(func() bool { return !f.d.isBusy() && sp.jobCount() == 2 }, "the copy was not printed: %q", f.d.message.Text)
	assert.True(t, bytes.Contains(sp.lastJob(), []byte("COPY")), "a second print is not marked as a copy")
}

// Gift cards sold with a purchase that do not print (the roll ran out) are
// the customer's money, and nobody else holds their codes: staff read the
// codes, and F8 prints the cards, as the originals, once the printer has
// paper again. The desk said only that the gift cards were not printed.
func TestSoldGiftCardsThatDidNotPrintCanBePrinted(t *testing.T) {
	sp := startStatusPrinter(t)
	f := mustOpen(t, func(c *config.Config) { c.PrinterTarget = "tcp://" + sp.ln.Addr().String() })
	f.login("kari", "1234")
	code := f.shop.Code("giftcard-purchase")
	card := f.shop.Code("card-fresh") // The card this purchase sold.
	f.scan(code)
	require.Equal(t, stateDeliverable, f.d.scan.StateNow(), f.d.scan.State.Text)

	sp.set(false, map[byte]byte{1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72}) // Out of paper.
	f.key(fyne.KeyReturn)
	require.Equal(t, stateDelivered, f.d.scan.StateNow(), f.d.message.Text)
	f.eventually(func() bool {
		return !f.d.isBusy() && strings.Contains(f.d.message.Text, label("print.failed", m{"What": label("print.cards"), "Err": label("print.paper_out")}))
	}, "the print is reported: %q", f.d.message.Text)
	assert.Contains(t, f.d.message.Text, skranke.GroupCode(card), "staff are not told the card's code")
	require.Zero(t, sp.jobCount())

	sp.set(false, map[byte]byte{1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}) // A new roll.
	f.key(fyne.KeyF8)
	f.eventually(func() bool { return !f.d.isBusy() && sp.jobCount() == 2 }, "the card and the note were not printed: %q", f.d.message.Text)
	sp.mu.Lock()
	text := printedText(t, sp.all)
	sp.mu.Unlock()
	assert.Equal(t, 1, strings.Count(text, "[barcode "+card+"]"), "the card is not printed once: %s", text)
	assert.Contains(t, text, "DELIVERY NOTE")
	assert.NotContains(t, text, "COPY", "what never printed is printed as a copy")
}

// A partial use whose print breaks off in the new card's job, after the
// void slip went out (the connection dropped mid-card): some of the card
// may be on paper. F8 prints it marked as a copy; printed as the original
// it would make two bearer cards with one code. Had the job not started
// (paper out before it), it prints as the original, as above.
func TestRemainderCardCutShortPrintsAsACopy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     error
		wantCopy bool
	}{
		{"broken off in the card", fmt.Errorf("write: %w", printer.ErrPartial), true},
		{"paper out before the card", printer.E("test", printer.KindPaperOut, "out of paper"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustOpen(t)
			f.login("kari", "1234")
			code := f.shop.Code("card-1000")
			f.scan(code)
			c := f.d.screenCards()
			require.NotNil(t, c.Card(), "%q %q", c.State.Text, c.Detail.Text)
			paper := &cardsFailAfter{printing: c.paper, printed: 1, fail: tc.fail}
			c.paper = paper
			test.Type(c.Amount, "250")
			c.Amount.Submit()
			f.idle()
			f.key(fyne.KeyReturn)
			rem := f.shop.Card(code).RemainderCode
			require.NotEmpty(t, rem, "%q", f.d.message.Text)
			require.Len(t, paper.jobs, 1)
			require.NotNil(t, c.Card(), "the new card is not on the screen to print again")
			require.Equal(t, rem, c.Card().Code)

			paper.printed = 1 // F8.
			f.key(fyne.KeyF8)
			require.Len(t, paper.jobs, 2, "F8 printed nothing")
			require.Len(t, paper.jobs[1], 1)
			data, err := printer.Encode(paper.jobs[1][0], mustProfile(t))
			require.NoError(t, err)
			lines := printedText(t, data)
			assert.Contains(t, lines, "[barcode "+rem+"]", "F8 did not print the new card")
			if tc.wantCopy {
				assert.Contains(t, lines, "COPY", "a card that may be on paper is printed again as an original")
			} else {
				assert.NotContains(t, lines, "COPY", "a card that never printed is printed as a copy")
			}
		})
	}
}
