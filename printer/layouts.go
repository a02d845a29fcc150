package printer

import (
	"fmt"
	"image"
	"strings"
	"time"
)

// labels holds the printed words of each layout by language. The desk's
// screens translate through fyne; the printer keeps its own table so a
// print never depends on the UI's language files.
var labels = map[string]map[string]string{
	"nb": {
		"deliveryNote":   "UTLEVERINGSBEVIS",
		"notReceipt":     "Dette er ikke en salgskvittering",
		"reference":      "Referanse",
		"buyer":          "Kjøper",
		"item":           "Vare",
		"now":            "Nå",
		"total":          "Totalt",
		"left":           "Rest",
		"deliveredNow":   "Utlevert nå",
		"allDelivered":   "Alt er utlevert",
		"remaining":      "Gjenstår å hente",
		"staff":          "Ekspedert av",
		"desk":           "Skranke",
		"time":           "Tid",
		"signature":      "Kundens signatur",
		"signHere":       "Signatur",
		"copy":           "KOPI",
		"training":       "TRENING",
		"trainingNote":   "Treningsutskrift – ikke gyldig",
		"giftCard":       "GAVEKORT",
		"value":          "Verdi",
		"code":           "Kode",
		"expires":        "Gyldig til",
		"replaces":       "Erstatter gavekort",
		"voided":         "ANNULLERT GAVEKORT",
		"voidedNote":     "Dette gavekortet er ugyldig",
		"amount":         "Beløp",
		"reason":         "Årsak",
		"remainderCard":  "Restbeløp på nytt gavekort",
		"printed":        "Skrevet ut",
		"period":         "Periode",
		"totals":         "Summer",
		"noRows":         "Ingen hendelser i perioden",
		"testPage":       "TESTSIDE",
		"codePages":      "Tegnsett",
		"features":       "Funksjoner",
		"width":          "Bredde",
		"columns":        "Kolonner",
		"autoSwitch":     "Automatisk tegnsett",
		"dailyReport":    "DAGSRAPPORT",
		"giftCardFooter": "Vis frem gavekortet ved bruk",
		"creditNote":     "KREDITNOTA",
		"creditNoteSub":  "Penger tilbake på kjøp i nettbutikken",
		"credited":       "Kreditert",
		"creditedAmount": "Beløp kreditert",
		"approvedBy":     "Godkjent av",
		"creditedBy":     "Kreditert av",
		"date":           "Dato",
		"refundNote":     "Beløpet tilbakeføres til kortet eller kontoen kjøpet ble betalt med.",
	},
	"en": {
		"deliveryNote":   "DELIVERY NOTE",
		"notReceipt":     "This is not a sales receipt",
		"reference":      "Reference",
		"buyer":          "Buyer",
		"item":           "Item",
		"now":            "Now",
		"total":          "Total",
		"left":           "Left",
		"deliveredNow":   "Delivered now",
		"allDelivered":   "Everything is delivered",
		"remaining":      "Still to collect",
		"staff":          "Served by",
		"desk":           "Desk",
		"time":           "Time",
		"signature":      "Customer's signature",
		"signHere":       "Signature",
		"copy":           "COPY",
		"training":       "TRAINING",
		"trainingNote":   "Training print – not valid",
		"giftCard":       "GIFT CARD",
		"value":          "Value",
		"code":           "Code",
		"expires":        "Valid until",
		"replaces":       "Replaces gift card",
		"voided":         "VOIDED GIFT CARD",
		"voidedNote":     "This gift card is no longer valid",
		"amount":         "Amount",
		"reason":         "Reason",
		"remainderCard":  "Balance moved to new gift card",
		"printed":        "Printed",
		"period":         "Period",
		"totals":         "Totals",
		"noRows":         "Nothing happened in this period",
		"testPage":       "TEST PAGE",
		"codePages":      "Code pages",
		"features":       "Features",
		"width":          "Width",
		"columns":        "Columns",
		"autoSwitch":     "Automatic code page",
		"dailyReport":    "DAILY REPORT",
		"giftCardFooter": "Show this gift card when you use it",
		"creditNote":     "CREDIT NOTE",
		"creditNoteSub":  "Money back on a web shop purchase",
		"credited":       "Credited",
		"creditedAmount": "Amount credited",
		"approvedBy":     "Approved by",
		"creditedBy":     "Credited by",
		"date":           "Date",
		"refundNote":     "The amount is returned to the card or account the purchase was paid with.",
	},
}

// Label returns the printed word for key in language lang ("nb" or "en";
// anything else falls back to Norwegian).
func Label(lang, key string) string {
	t, ok := labels[lang]
	if !ok {
		t = labels["nb"]
	}
	if s, ok := t[key]; ok {
		return s
	}
	return labels["nb"][key]
}

// FormatTime writes t as staff read it in lang: 24.11.2026 10:27 in
// Norwegian, 2026-11-24 10:27 in English.
func FormatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("02.01.2006 15:04")
}

// FormatDate is FormatTime without the clock.
func FormatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.Format("2006-01-02")
	}
	return t.Format("02.01.2006")
}

// GroupCode writes a bare code in groups of four for reading aloud:
// ABCD1234EFGH -> ABCD 1234 EFGH.
func GroupCode(code string) string {
	rs := []rune(strings.ReplaceAll(code, " ", ""))
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// marks prints the KOPI and TRENING banners, white on black so a copy or a
// training print cannot pass for the original.
func marks(d *Document, lang string, copyMark, training bool) {
	banner := Style{Bold: true, Invert: true, Width: 2, Height: 2}
	if training {
		d.FitText(" "+Label(lang, "training")+" ", banner, AlignCenter)
		d.Text(Label(lang, "trainingNote"), Small, AlignCenter)
	}
	if copyMark {
		d.FitText(" "+Label(lang, "copy")+" ", banner, AlignCenter)
	}
}

// NoteLine is one line of a delivery note: how many were ordered, handed
// over now and before, and how many are left to collect.
type NoteLine struct {
	Name                                              string
	Ordered, DeliveredNow, DeliveredBefore, Remaining int
	// Amount is the line's price as shown, e.g. "kr 499,00"; empty to leave out.
	Amount string
}

// DeliveryNote is the proof that goods or services were handed over at the
// desk. It is not a sales receipt: the sale happened in the web shop.
type DeliveryNote struct {
	CentreName  string
	CentreLines []string // address, phone, org no
	// Header and Footer are texts the centre configures.
	Header, Footer string
	// Reference is the purchase's bare code; printed grouped by four and
	// as a Code128 barcode.
	Reference string
	Buyer     string
	Lines     []NoteLine
	Staff     string
	Desk      string
	At        time.Time
	// Signature is the customer's signature, nil when none was taken.
	Signature image.Image
	// Copy marks a reprint (KOPI); Training a training print (TRENING).
	Copy, Training bool
	// Language is "nb" or "en".
	Language string
}

// field adds a "Label: value" row, or nothing when value is empty, so an
// unknown buyer or time leaves no bare label on the paper.
func field(d *Document, lang, key, value string, st Style) {
	if value != "" {
		d.Row(Label(lang, key)+":", value, st)
	}
}

func centreHead(d *Document, name string, lines []string) {
	if name != "" {
		d.FitText(name, Large, AlignCenter)
	}
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			d.Text(l, Plain, AlignCenter)
		}
	}
}

// Document lays the delivery note out.
func (n DeliveryNote) Document() *Document {
	lang := n.Language
	d := NewDocument()
	marks(d, lang, n.Copy, n.Training)
	centreHead(d, n.CentreName, n.CentreLines)
	if n.Header != "" {
		d.Feed(1).Text(n.Header, Plain, AlignCenter)
	}
	d.Rule('=')
	d.FitText(Label(lang, "deliveryNote"), Large, AlignCenter)
	d.Text(Label(lang, "notReceipt"), Bold, AlignCenter)
	d.Rule('=')
	if n.Reference != "" {
		d.Row(Label(lang, "reference")+":", GroupCode(n.Reference), Bold)
		d.Barcode(Code128, n.Reference)
		d.Feed(1)
	}
	field(d, lang, "buyer", n.Buyer, Plain)
	d.Rule('-')
	d.Columns(Bold,
		Column{Text: Label(lang, "item")},
		Column{Text: Label(lang, "now"), Width: 4, Align: AlignRight},
		Column{Text: Label(lang, "total"), Width: 6, Align: AlignRight},
		Column{Text: Label(lang, "left"), Width: 4, Align: AlignRight},
	)
	d.Rule('-')
	now, left := 0, 0
	for _, l := range n.Lines {
		delivered := l.DeliveredBefore + l.DeliveredNow
		total := fmt.Sprint(delivered)
		if l.Ordered > 0 {
			total = fmt.Sprintf("%d/%d", delivered, l.Ordered)
		}
		st := Plain
		if l.DeliveredNow > 0 {
			st = Bold
		}
		d.Columns(st,
			Column{Text: l.Name},
			Column{Text: fmt.Sprint(l.DeliveredNow), Width: 4, Align: AlignRight},
			Column{Text: total, Width: 6, Align: AlignRight},
			Column{Text: fmt.Sprint(l.Remaining), Width: 4, Align: AlignRight},
		)
		if l.Amount != "" {
			d.Row("", l.Amount, Small)
		}
		now += l.DeliveredNow
		left += l.Remaining
	}
	d.Rule('-')
	d.Row(Label(lang, "deliveredNow")+":", fmt.Sprint(now), Bold)
	if left > 0 {
		d.Row(Label(lang, "remaining")+":", fmt.Sprint(left), Plain)
	} else {
		d.Text(Label(lang, "allDelivered"), Plain, AlignLeft)
	}
	d.Feed(1)
	field(d, lang, "staff", n.Staff, Plain)
	field(d, lang, "desk", n.Desk, Plain)
	field(d, lang, "time", FormatTime(lang, n.At), Plain)
	d.Feed(1)
	if n.Signature != nil {
		d.Text(Label(lang, "signature")+":", Small, AlignLeft)
		d.LineArt(n.Signature, 0.6, 96, AlignCenter)
		d.Rule('_')
	} else {
		d.Feed(2)
		d.Rule('_')
		d.Text(Label(lang, "signHere"), Small, AlignCenter)
	}
	if n.Footer != "" {
		d.Feed(1).Text(n.Footer, Plain, AlignCenter)
	}
	if n.Copy || n.Training {
		d.Feed(1)
		marks(d, lang, n.Copy, n.Training)
	}
	d.Cut(true)
	return d
}

// GiftCard is a gift card to hand over: a large amount, the code in groups
// of four, as barcode and QR code, its expiry and terms.
type GiftCard struct {
	CentreName string
	Logo       image.Image
	Amount     string
	Code       string // bare
	ExpiresAt  time.Time
	Terms      string
	// ParentCode is the card this one replaces after partial use.
	ParentCode     string
	Copy, Training bool
	Language       string
}

// Document lays the gift card out.
func (g GiftCard) Document() *Document {
	lang := g.Language
	d := NewDocument()
	marks(d, lang, g.Copy, g.Training)
	if g.Logo != nil {
		d.Image(g.Logo, 0.5, 120, AlignCenter)
		d.Feed(1)
	}
	if g.CentreName != "" {
		d.Text(g.CentreName, Bold, AlignCenter)
		d.Feed(1)
	}
	d.Line(3)
	d.FitText(Label(lang, "giftCard"), Style{Bold: true, Width: 3, Height: 2}, AlignCenter)
	d.Line(3)
	d.Feed(1)
	d.Text(Label(lang, "value"), Small, AlignCenter)
	d.FitText(g.Amount, Style{Bold: true, Width: 3, Height: 3}, AlignCenter)
	d.Feed(1)
	d.Text(Label(lang, "code"), Small, AlignCenter)
	d.FitText(GroupCode(g.Code), Large, AlignCenter)
	d.Feed(1)
	d.Barcode(Code128, g.Code)
	d.Feed(1)
	d.QR(g.Code, 0)
	d.Feed(1)
	if !g.ExpiresAt.IsZero() {
		d.Text(Label(lang, "expires")+": "+FormatDate(lang, g.ExpiresAt), Bold, AlignCenter)
	}
	if g.ParentCode != "" {
		d.Text(Label(lang, "replaces")+" "+GroupCode(g.ParentCode), Small, AlignCenter)
	}
	if g.Terms != "" {
		d.Rule('-')
		d.Text(g.Terms, Small, AlignLeft)
	}
	d.Line(3)
	d.Text(Label(lang, "giftCardFooter"), Small, AlignCenter)
	if g.Copy || g.Training {
		marks(d, lang, g.Copy, g.Training)
	}
	d.Cut(true)
	return d
}

// VoidSlip records that a gift card was voided, and where its remaining
// balance went.
type VoidSlip struct {
	Code, Amount, Reason, RemainderCode, Staff string
	At                                         time.Time
	Language                                   string
	Training                                   bool
}

// Document lays the slip out.
func (v VoidSlip) Document() *Document {
	lang := v.Language
	d := NewDocument()
	marks(d, lang, false, v.Training)
	d.FitText(Label(lang, "voided"), Large, AlignCenter)
	d.Text(Label(lang, "voidedNote"), Plain, AlignCenter)
	d.Rule('=')
	d.Row(Label(lang, "code")+":", GroupCode(v.Code), Bold)
	field(d, lang, "amount", v.Amount, Plain)
	if v.Reason != "" {
		d.Text(Label(lang, "reason")+": "+v.Reason, Plain, AlignLeft)
	}
	if v.RemainderCode != "" {
		d.Rule('-')
		d.Text(Label(lang, "remainderCard")+":", Plain, AlignLeft)
		d.Text(GroupCode(v.RemainderCode), Bold, AlignCenter)
	}
	d.Rule('-')
	field(d, lang, "staff", v.Staff, Plain)
	field(d, lang, "time", FormatTime(lang, v.At), Plain)
	d.Cut(true)
	return d
}

// CreditLine is one purchase line on a credit slip: how many units were
// credited and what they gave back, such as "kr 249,00".
type CreditLine struct {
	Name     string
	Quantity int
	Amount   string
}

// CreditSlip is the customer's note that money was given back on a
// purchase: a credit note, never a sales receipt. It shows the purchase's
// code, what was credited (lines, or an amount), who credited it and which
// manager approved it, and when.
type CreditSlip struct {
	CentreName  string
	CentreLines []string
	// Reference is the purchase's bare code; printed grouped by four and
	// as a Code128 barcode.
	Reference string
	Buyer     string
	Lines     []CreditLine // Empty for a credit of an amount.
	Amount    string       // The total credited, such as "kr 498,00".
	Reason    string
	Staff     string
	Approver  string // The approving manager; empty when it is Staff.
	Desk      string
	At        time.Time
	// Copy marks a reprint (KOPI); Training a training print (TRENING).
	Copy, Training bool
	Language       string
}

// Document lays the credit slip out.
func (c CreditSlip) Document() *Document {
	lang := c.Language
	d := NewDocument()
	marks(d, lang, c.Copy, c.Training)
	centreHead(d, c.CentreName, c.CentreLines)
	d.Rule('=')
	d.FitText(Label(lang, "creditNote"), Large, AlignCenter)
	d.Text(Label(lang, "creditNoteSub"), Plain, AlignCenter)
	d.Text(Label(lang, "notReceipt"), Bold, AlignCenter)
	d.Rule('=')
	if c.Reference != "" {
		d.Row(Label(lang, "reference")+":", GroupCode(c.Reference), Bold)
		d.Barcode(Code128, c.Reference)
		d.Feed(1)
	}
	field(d, lang, "buyer", c.Buyer, Plain)
	if len(c.Lines) > 0 {
		d.Rule('-')
		d.Columns(Bold,
			Column{Text: Label(lang, "item")},
			Column{Text: Label(lang, "credited"), Width: 9, Align: AlignRight},
		)
		d.Rule('-')
		for _, l := range c.Lines {
			d.Columns(Plain,
				Column{Text: l.Name},
				Column{Text: fmt.Sprintf("%d", l.Quantity), Width: 9, Align: AlignRight},
			)
			if l.Amount != "" {
				d.Row("", l.Amount, Small)
			}
		}
	}
	d.Rule('-')
	d.Row(Label(lang, "creditedAmount")+":", c.Amount, Bold)
	if c.Reason != "" {
		d.Text(Label(lang, "reason")+": "+c.Reason, Plain, AlignLeft)
	}
	d.Text(Label(lang, "refundNote"), Small, AlignLeft)
	d.Feed(1)
	field(d, lang, "creditedBy", c.Staff, Plain)
	approver := c.Approver
	if approver == "" {
		approver = c.Staff
	}
	field(d, lang, "approvedBy", approver, Plain)
	field(d, lang, "desk", c.Desk, Plain)
	field(d, lang, "date", FormatTime(lang, c.At), Plain)
	if c.Copy || c.Training {
		d.Feed(1)
		marks(d, lang, c.Copy, c.Training)
	}
	d.Cut(true)
	return d
}

// ReportRow is one event in the daily report.
type ReportRow struct{ Time, Staff, Code, What, Amount string }

// DailyReport is the manager's list of the day's deliveries and gift card
// events with totals.
type DailyReport struct {
	CentreName, Title, Period string
	Rows                      []ReportRow
	// Totals are label and value pairs printed at the end.
	Totals   [][2]string
	Printed  time.Time
	Language string
	Training bool
}

// Document lays the report out.
func (r DailyReport) Document() *Document {
	lang := r.Language
	d := NewDocument()
	marks(d, lang, false, r.Training)
	if r.CentreName != "" {
		d.Text(r.CentreName, Bold, AlignCenter)
	}
	title := r.Title
	if title == "" {
		title = Label(lang, "dailyReport")
	}
	d.FitText(title, Large, AlignCenter)
	if r.Period != "" {
		d.Text(Label(lang, "period")+": "+r.Period, Plain, AlignCenter)
	}
	d.Rule('=')
	if len(r.Rows) == 0 {
		d.Text(Label(lang, "noRows"), Plain, AlignCenter)
	}
	for _, row := range r.Rows {
		d.Columns(Plain,
			Column{Text: row.Time, Width: 5},
			Column{Text: row.What},
			Column{Text: row.Amount, Width: FitContent, Align: AlignRight},
		)
		var sub []string
		if row.Staff != "" {
			sub = append(sub, row.Staff)
		}
		if row.Code != "" {
			sub = append(sub, GroupCode(row.Code))
		}
		if len(sub) > 0 {
			d.Columns(Small, Column{Text: "", Width: 7}, Column{Text: strings.Join(sub, " · ")})
		}
	}
	if len(r.Totals) > 0 {
		d.Rule('=')
		d.Text(Label(lang, "totals"), Bold, AlignLeft)
		for _, t := range r.Totals {
			d.LeaderRow(t[0], t[1], Bold)
		}
	}
	d.Rule('-')
	if !r.Printed.IsZero() {
		d.Text(Label(lang, "printed")+": "+FormatTime(lang, r.Printed), Small, AlignCenter)
	}
	if r.Training {
		marks(d, lang, false, true)
	}
	d.Cut(true)
	return d
}

// SampleText holds the characters every profile should print right.
const SampleText = "æøå ÆØÅ äö ąćęłńóśźż € – “ ”"

// TestPage shows what the printer can do: its profile, the text of every
// code page it has, styles, a barcode and a QR code.
func TestPage(p Profile) *Document {
	const lang = "en"
	d := NewDocument()
	d.FitText(Label(lang, "testPage"), Large, AlignCenter)
	d.Text(p.Name, Bold, AlignCenter)
	d.Text(p.ID, Small, AlignCenter)
	d.Rule('=')
	d.Row(Label(lang, "width")+":", fmt.Sprintf("%d dots, %d mm", p.WidthDots, p.PaperMM), Plain)
	d.Row(Label(lang, "columns")+":", fmt.Sprintf("A %d, B %d", p.ColumnsA, p.ColumnsB), Plain)
	var feats []string
	if p.Barcode {
		feats = append(feats, "GS k")
	}
	if p.QR {
		feats = append(feats, "GS ( k")
	}
	feats = append(feats, p.Raster.String())
	switch {
	case p.FullCut && p.PartialCut:
		feats = append(feats, "cut")
	case p.PartialCut:
		feats = append(feats, "partial cut")
	case p.FullCut:
		feats = append(feats, "full cut")
	}
	if p.Drawer {
		feats = append(feats, "drawer")
	}
	d.Text(Label(lang, "features")+": "+strings.Join(feats, ", "), Plain, AlignLeft)
	d.Rule('-')
	d.Text(Label(lang, "codePages"), Bold, AlignLeft)
	for _, cp := range p.CodePages {
		d.Text(fmt.Sprintf("ESC t %d  %s", cp.N, cp.Name), Small, AlignLeft)
		d.blocks = append(d.blocks, textBlock{spans: []Span{{Text: SampleText}}, page: cp.Name})
	}
	d.Rule('-')
	d.Text(Label(lang, "autoSwitch")+":", Bold, AlignLeft)
	d.Text(SampleText, Plain, AlignLeft)
	d.Rule('-')
	d.Text("Font A 12x24", Plain, AlignLeft)
	d.Text("Font B 9x17", Small, AlignLeft)
	d.Spans(AlignLeft, Span{Text: "Bold ", Style: Bold}, Span{Text: "Underline", Style: Style{Underline: true}}, Span{Text: " "}, Span{Text: "Invert", Style: Style{Invert: true}})
	d.Text("Wide 2x", Style{Width: 2}, AlignLeft)
	d.Text("Big 2x2", Large, AlignLeft)
	d.Text("Centre", Plain, AlignCenter)
	d.Text("Right", Plain, AlignRight)
	d.Row("Name", "kr 1 234,50", Plain)
	d.Rule('-')
	d.Barcode(Code128, "SKR1234567890")
	d.Text("SKR1234567890", Small, AlignCenter)
	d.Feed(1)
	d.QR("https://skranke.example/t/"+p.ID, 0)
	d.Feed(1)
	d.Cut(true)
	return d
}
