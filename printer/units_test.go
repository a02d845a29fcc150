package printer_test

import (
	"regexp"
	"strings"
	"testing"
)

// bareNumber is a word that is only a number: "1", "0,75", "1.5".
var bareNumber = regexp.MustCompile(`^[0-9]+([.,][0-9]+)?$`)

// On a delivery note a product's name wraps beside the quantity columns
// (now, total, left). A number in the name stays with the word after it
// (its unit: "1 kg", "10 timer"), so that no line of the name ends with a
// bare number, which beside the quantities would read as one more.
func TestNumberStaysWithItsUnit(t *testing.T) {
	names := []string{
		"Proteinpulver sjokolade 1 kg",
		"Proteinpulver sjokolade med ekstra mye protein, 2 kg boks XL",
		"Klippekort 10 timer – spinning",
		"Drikkeflaske i rustfritt stål 0,75 l med logo",
		"Treningsstrikk sett med 5 stk i ulike styrker",
		"Gymbag stor modell 45 liter svart",
	}
	for _, id := range paperWidths {
		p := MustProfile(t, id)
		for _, lang := range []string{"nb", "en"} {
			for _, name := range names {
				n := sampleNote(lang)
				n.Signature = nil
				n.Lines = n.Lines[:1]
				n.Lines[0].Name = name
				ls := lines(MustText(t, MustEncode(t, n.Document(), p), p))
				first := -1
				for i, l := range ls {
					if strings.HasPrefix(l, strings.Fields(name)[0]) {
						first = i
						break
					}
				}
				if first < 0 {
					t.Errorf("%s %s: %q not printed:\n%s", id, lang, name, strings.Join(ls, "\n"))
					continue
				}
				// The first line holds the start of the name and the three
				// counts; the name goes on under it, up to the amount,
				// which is indented.
				f := strings.Fields(ls[first])
				nameLines := [][]string{f[:len(f)-3]}
				for _, l := range ls[first+1:] {
					if l == "" || strings.HasPrefix(l, " ") {
						break
					}
					nameLines = append(nameLines, strings.Fields(l))
				}
				var words []string
				for i, nl := range nameLines {
					words = append(words, nl...)
					if i < len(nameLines)-1 && len(nl) > 0 && bareNumber.MatchString(nl[len(nl)-1]) {
						t.Errorf("%s %s: a line of %q ends with the bare number %q, apart from its unit:\n%s",
							id, lang, name, nl[len(nl)-1], strings.Join(ls[first:first+len(nameLines)], "\n"))
					}
				}
				if got := strings.Join(words, " "); got != name {
					t.Errorf("%s %s: name printed as %q, want %q", id, lang, got, name)
				}
			}
		}
	}
}
