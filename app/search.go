package app

import (
	"context"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// searchService finds purchases by buyer or part of a code, from the shop
// or, offline, from the cache.
type searchService interface {
	Search(ctx context.Context, q, cursor string) (desksync.SearchResult, error)
}

// searchScreen finds the purchase of a buyer who has no receipt: by name,
// e-mail, phone number or part of the code. Choosing a result opens it on
// the scan screen as if scanned, and the hand-over then asks staff to
// check the buyer's identity.
type searchScreen struct {
	// Query is the search field; Enter searches.
	Query *entry
	// Info says how many were found, where from, or what is wrong with the query.
	Info *widget.Label
	// Results holds one button per purchase found; tapping opens it.
	Results *fyne.Container
	// More fetches the next page.
	More *button

	sh    shell
	svc   searchService
	open  func(code string)
	shown []skranke.PurchaseSummary
	query string
	next  string
	seq   int
	obj   fyne.CanvasObject
}

func newSearchScreen(sh shell, svc searchService, open func(code string)) *searchScreen {
	s := &searchScreen{sh: sh, svc: svc, open: open}
	s.Query = newEntry(sh, label("search.placeholder"))
	s.Query.OnSubmitted = func(string) { s.search() }
	s.Info = widget.NewLabel(label("search.hint"))
	s.Info.Wrapping = fyne.TextWrapWord
	s.Results = container.NewVBox()
	s.More = newButton(sh, label("search.more"), theme.MoreHorizontalIcon(), s.more)
	s.More.Hide()
	go_ := newButton(sh, label("search.go"), theme.SearchIcon(), s.search)
	top := container.NewVBox(
		widget.NewLabelWithStyle(label("search.label"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, go_, big(s.Query, 24)),
		s.Info)
	s.obj = container.NewBorder(top, nil, nil, nil, container.NewVScroll(container.NewVBox(s.Results, s.More)))
	return s
}

// Shown returns the purchases listed.
func (s *searchScreen) Shown() []skranke.PurchaseSummary { return s.shown }

func (s *searchScreen) search() {
	s.query = s.Query.Text
	s.shown, s.next = nil, ""
	s.Results.RemoveAll()
	s.More.Hide()
	s.fetch("")
}

func (s *searchScreen) more() {
	if s.next != "" {
		s.fetch(s.next)
	}
}

// fetch asks for the page at cursor and appends it.
func (s *searchScreen) fetch(cursor string) {
	s.seq++
	seq, q := s.seq, s.query
	s.Info.SetText(label("search.searching"))
	s.sh.async(func(ctx context.Context) func() {
		r, err := s.svc.Search(ctx, q, cursor)
		return func() {
			if seq != s.seq {
				return // A newer search was started meanwhile.
			}
			if err != nil {
				// Not an error dialog: the query stays for another try.
				slog.Info("search failed", "err", err)
				s.Info.SetText(label("search.failed", m{"Err": errText(err)}))
				return
			}
			s.show(r)
		}
	})
}

func (s *searchScreen) show(r desksync.SearchResult) {
	switch r.Problem {
	case skranke.SearchEmpty:
		s.Info.SetText(label("search.empty"))
		return
	case skranke.SearchTooShort:
		s.Info.SetText(label("search.too_short", m{"N": skranke.MinSearchTerm}))
		return
	case skranke.SearchTooLong:
		s.Info.SetText(label("search.too_long", m{"N": skranke.MaxSearchQuery}))
		return
	}
	for _, p := range r.Purchases {
		s.shown = append(s.shown, p)
		s.Results.Add(s.resultButton(p))
	}
	s.next = r.Next
	show(s.More, s.next != "")
	text := label("search.found", m{"N": len(s.shown)})
	if len(s.shown) == 0 {
		text = label("search.none")
	}
	if r.FromCache {
		text += " " + label("search.offline")
	}
	s.Info.SetText(text)
}

// resultButton is one purchase found: code, buyer, date, status and what
// remains; tapping it opens the purchase.
func (s *searchScreen) resultButton(p skranke.PurchaseSummary) *button {
	return listButton(s.sh, summaryText(p), func() { s.open(p.Code) })
}

// listButton is one row of a list of purchases: its text left-aligned, an
// arrow after it, and open run when it is chosen.
func listButton(keys keyHandler, text string, open func()) *button {
	b := newButton(keys, text, theme.NavigateNextIcon(), open)
	b.Alignment = widget.ButtonAlignLeading
	b.IconPlacement = widget.ButtonIconTrailingText
	return b
}

// summaryText is a purchase on one line: code, buyer, date, status and
// what remains.
func summaryText(p skranke.PurchaseSummary) string {
	remain := label("search.remaining", m{"N": p.Remaining})
	if p.Remaining == 0 {
		remain = label("search.all_delivered")
	}
	return strings.Join([]string{skranke.GroupCode(p.Code), p.Buyer, fmtDateTime(p.CreatedAt), statusName(p.Status), remain}, " · ")
}

func (s *searchScreen) content() fyne.CanvasObject  { return s.obj }
func (s *searchScreen) load()                       {}
func (s *searchScreen) focusTarget() fyne.Focusable { return s.Query }
func (s *searchScreen) runeTarget() fyne.Focusable  { return s.Query }
func (s *searchScreen) escape() bool                { return true }
func (s *searchScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: s.More}
}

// lock forgets the search: the next person must not see who was sought.
func (s *searchScreen) lock() {
	s.seq++
	s.Query.SetText("")
	s.query, s.next, s.shown = "", "", nil
	s.Results.RemoveAll()
	s.More.Hide()
	s.Info.SetText(label("search.hint"))
}
