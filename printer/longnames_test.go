package printer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skranke/skranke/printer"
)

// Names of 60 characters, the longest the shop accepts, with words that
// fit a 58 mm line only just.
const (
	longBuyer = "Grzegorz Brzęczyszczykiewicz-Ødegård Kowalczyk-Żółtowska Lie"
	longStaff = "Anne-Marthe Kristiansen Sæbø-Haugland Østerbø Fjellheim Berg"
	longItem  = "Proteinpulver sjokolade med ekstra mye protein, 2 kg boks XL"
)

// TestLongNames prints layouts with 60-character names on 32, 42 and 48
// columns and pins the text in testdata/long-names. Whatever the width, a
// label is never split inside a word, and a name is never cut: every word
// of it prints, in order, under its label when it cannot go beside it.
func TestLongNames(t *testing.T) {
	for _, s := range []string{longBuyer, longStaff, longItem} {
		if n := len([]rune(s)); n != 60 {
			t.Fatalf("%q has %d characters, want 60", s, n)
		}
	}
	type labelled struct{ label, value string }
	docs := []struct {
		name   string
		doc    *printer.Document
		fields []labelled
		texts  []string
	}{
		{
			name: "delivery-note",
			doc: func() *printer.Document {
				n := sampleNote("nb")
				n.Buyer, n.Staff, n.Signature = longBuyer, longStaff, nil
				n.Lines[0].Name = longItem
				return n.Document()
			}(),
			fields: []labelled{{"Kjøper:", longBuyer}, {"Ekspedert av:", longStaff}, {"Skranke:", "Skranke 1"}, {"Referanse:", "K7Q2 X9M4 P8R3"}},
		},
		{
			name: "delivery-note-en",
			doc: func() *printer.Document {
				n := sampleNote("en")
				n.Buyer, n.Staff, n.Signature = longStaff, longBuyer, nil
				return n.Document()
			}(),
			fields: []labelled{{"Buyer:", longStaff}, {"Served by:", longBuyer}},
		},
		{
			name:   "void-slip",
			doc:    printer.VoidSlip{Code: "GC7K2M9Q4X8PR3T5V6WZ", Amount: "kr 12 500,00", Reason: longItem, Staff: longBuyer, At: noteTime, Language: "nb"}.Document(),
			fields: []labelled{{"Ekspedert av:", longBuyer}, {"Kode:", "GC7K 2M9Q 4X8P R3T5 V6WZ"}, {"Beløp:", "kr 12 500,00"}},
			texts:  []string{longItem},
		},
	}
	dir := filepath.Join("testdata", "long-names")
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		for _, d := range docs {
			t.Run(d.name+"/"+id, func(t *testing.T) {
				text := MustText(t, MustEncode(t, d.doc, p), p)
				ls := lines(text)
				for _, l := range ls {
					if !strings.HasPrefix(l, "[") && len([]rune(l)) > p.ColumnsB {
						t.Errorf("line %q is wider than %d columns", l, p.ColumnsB)
					}
				}
				words := strings.Fields(text)
				for _, f := range d.fields {
					at := -1
					for i, l := range ls {
						if strings.HasPrefix(l, f.label) {
							at = i
							break
						}
					}
					if at < 0 {
						t.Errorf("label %q not printed whole at the start of a line:\n%s", f.label, text)
						continue
					}
					beside := strings.TrimSpace(strings.TrimPrefix(ls[at], f.label))
					switch {
					case beside == f.value:
						// Fits beside the label.
					case beside == "":
						// Under the label, indented, every word in order.
						var under []string
						for _, l := range ls[at+1:] {
							if !strings.HasPrefix(l, "  ") {
								break
							}
							under = append(under, strings.Fields(l)...)
						}
						if strings.Join(under, " ") != f.value {
							t.Errorf("%s printed under its label as %q, want %q", f.label, strings.Join(under, " "), f.value)
						}
					default:
						t.Errorf("%s printed beside its label as %q, want %q whole", f.label, beside, f.value)
					}
				}
				if d.name == "delivery-note" {
					// The item column wraps beside the counts "1 2/3 1",
					// which stay on its first line.
					var item []string
					for i, l := range ls {
						if strings.HasPrefix(l, "Proteinpulver") {
							f := strings.Fields(l)
							item = append(item, f[:len(f)-3]...)
							for _, c := range ls[i+1:] {
								if strings.HasPrefix(c, " ") {
									break
								}
								item = append(item, strings.Fields(c)...)
							}
						}
					}
					if strings.Join(item, " ") != longItem {
						t.Errorf("item printed as %q, want %q", strings.Join(item, " "), longItem)
					}
				}
				for _, s := range d.texts {
					if !containsWords(words, strings.Fields(s)) {
						t.Errorf("%q not printed whole:\n%s", s, text)
					}
				}
				golden := filepath.Join(dir, d.name+"-"+p.ID+".txt")
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./printer -run TestLongNames -update)", err)
				}
				if text != string(want) {
					t.Errorf("printed text differs from %s; run with -update if meant. Got:\n%s", golden, text)
				}
			})
		}
	}
}

// containsWords reports whether want occurs as a run inside words, allowing
// a word of want to have been broken across lines only where it is longer
// than the line (which the names here never are).
func containsWords(words, want []string) bool {
	for i := 0; i+len(want) <= len(words); i++ {
		ok := true
		for j, w := range want {
			if words[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
