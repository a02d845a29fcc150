package app

import (
	"context"
	"log/slog"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/skranke/skranke"
	desksync "github.com/skranke/skranke/sync"
)

// pickupService lists what is paid and waits to be fetched, from the cache.
type pickupService interface {
	Pickup(ctx context.Context, f desksync.PickupFilter) (desksync.PickupList, error)
}

// pickupScreen is the pickup list: the centre's purchases that are paid and
// not fully handed over, newest first, with their age. It reads the cache,
// so it works offline. Choosing one opens it as if scanned.
type pickupScreen struct {
	Product *widget.Select // All products, or one.
	Status  *widget.Select // Authorized and captured, or one of them.
	Count   *widget.Label  // How many wait (with the filter).
	Results *fyne.Container
	Refresh *button

	sh       shell
	svc      pickupService
	open     func(code string)
	toScan   func() fyne.Focusable
	shown    []skranke.PurchaseSummary
	products []string // Product names offered by the filter.
	seq      int
	obj      fyne.CanvasObject
}

// pickupStatuses are the statuses the filter offers, in its order after "all".
var pickupStatuses = []skranke.PaymentStatus{skranke.Captured, skranke.Authorized}

func newPickupScreen(sh shell, svc pickupService, open func(code string), toScan func() fyne.Focusable) *pickupScreen {
	p := &pickupScreen{sh: sh, svc: svc, open: open, toScan: toScan}
	p.Product = widget.NewSelect([]string{label("pickup.all_products")}, func(string) { p.load() })
	p.Product.SetSelectedIndex(0)
	statuses := []string{label("pickup.all_statuses")}
	for _, st := range pickupStatuses {
		statuses = append(statuses, statusName(st))
	}
	p.Status = widget.NewSelect(statuses, func(string) { p.load() })
	p.Status.SetSelectedIndex(0)
	p.Count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.Results = container.NewVBox()
	p.Refresh = newButton(sh, label("pickup.refresh"), theme.ViewRefreshIcon(), p.load)
	top := container.NewVBox(
		container.NewHBox(widget.NewLabel(label("pickup.product")), p.Product, widget.NewLabel(label("pickup.status")), p.Status, p.Refresh),
		p.Count)
	p.obj = container.NewBorder(top, nil, nil, nil, container.NewVScroll(p.Results))
	return p
}

// Shown returns the purchases listed.
func (p *pickupScreen) Shown() []skranke.PurchaseSummary { return p.shown }

func (p *pickupScreen) filter() desksync.PickupFilter {
	var f desksync.PickupFilter
	if i := p.Product.SelectedIndex(); i > 0 && i <= len(p.products) {
		f.Product = p.products[i-1]
	}
	if i := p.Status.SelectedIndex(); i > 0 && i <= len(pickupStatuses) {
		f.Status = pickupStatuses[i-1]
	}
	return f
}

// load reads the list again with the filter chosen.
func (p *pickupScreen) load() {
	if p.Count == nil {
		return // Still being built: the selects call back as they get their first value.
	}
	p.seq++
	seq, f := p.seq, p.filter()
	p.sh.async(func(ctx context.Context) func() {
		l, err := p.svc.Pickup(ctx, f)
		return func() {
			if seq != p.seq {
				return
			}
			if err != nil {
				slog.Info("pickup list failed", "err", err)
				p.Count.SetText(label("pickup.failed", m{"Err": errText(err)}))
				return
			}
			p.show(l, f)
		}
	})
}

func (p *pickupScreen) show(l desksync.PickupList, f desksync.PickupFilter) {
	p.shown = l.Purchases
	p.Results.RemoveAll()
	now := p.sh.now()
	for _, s := range l.Purchases {
		text := summaryText(s) + " · " + label("pickup.age", m{"Age": fmtAge(now, s.CreatedAt)})
		p.Results.Add(listButton(p.sh, text, func() { p.open(s.Code) }))
	}
	if f.Product == "" {
		// The filter offers the products of what waits, as listed unfiltered.
		var names []string
		for _, s := range l.Purchases {
			for _, n := range s.Products {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, p.products) {
			p.products = names
			p.Product.Options = append([]string{label("pickup.all_products")}, names...)
			p.Product.Refresh()
		}
	}
	switch {
	case l.Total == 0:
		p.Count.SetText(label("pickup.none"))
	case l.Total > len(l.Purchases):
		p.Count.SetText(label("pickup.count_more", m{"N": pickupN(l.Total), "Shown": len(l.Purchases)}))
	default:
		p.Count.SetText(label("pickup.count", m{"N": l.Total}))
	}
}

// pickupN is a pickup count as shown: "10000+" beyond what the desk counts.
func pickupN(n int) string {
	if n > desksync.MaxPickupCount {
		return strconv.Itoa(desksync.MaxPickupCount) + "+"
	}
	return strconv.Itoa(n)
}

func (p *pickupScreen) content() fyne.CanvasObject  { return p.obj }
func (p *pickupScreen) focusTarget() fyne.Focusable { return nil }
func (p *pickupScreen) runeTarget() fyne.Focusable  { return p.toScan() }
func (p *pickupScreen) escape() bool                { return true }
func (p *pickupScreen) actionKeys() map[fyne.KeyName]*button {
	return map[fyne.KeyName]*button{fyne.KeyF6: p.Refresh}
}
func (p *pickupScreen) lock() { p.seq++; p.shown = nil; p.Results.RemoveAll(); p.Count.SetText("") }
