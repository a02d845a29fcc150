package printer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skranke/skranke/printer"
)

// TestNordicAndPolishRoundTrip prints the sample text on every profile and
// reads it back through the renderer's code page decoding: every character
// must come back as itself, never as '?'.
func TestNordicAndPolishRoundTrip(t *testing.T) {
	texts := []string{
		printer.SampleText,
		"Åse Ødegård kjøpte blåbærsyltetøy",
		"Zażółć gęślą jaźń – ŁÓDŹ",
		"Größe: Ä Ö Ü ä ö ü ß",
		"“Sitat” – € 1 234,50 – æ/Ø/å",
	}
	for _, p := range printer.Profiles() {
		t.Run(p.ID, func(t *testing.T) {
			for _, s := range texts {
				doc := printer.NewDocument().Text(s, printer.Plain, printer.AlignLeft)
				enc, err := printer.EncodeDetailed(doc, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(enc.Substituted) > 0 {
					t.Errorf("%q: substituted %v though the profile has pages for them", s, enc.Substituted)
				}
				if bytes.ContainsRune(enc.Bytes, '?') {
					t.Errorf("%q: encoded bytes contain '?'", s)
				}
				// Narrow paper wraps long lines at spaces.
				got := strings.Join(lines(MustText(t, enc.Bytes, p)), " ")
				if got != s {
					t.Errorf("printed %q, want %q", got, s)
				}
			}
		})
	}
}

// TestCodePageSwitchingInsideLine checks that one line mixing Norwegian and
// Polish switches code page mid-line and comes back right in every style.
func TestCodePageSwitchingInsideLine(t *testing.T) {
	p := MustProfile(t, "bixolon-srp-350plusiii") // has no CP1250: ø and ł need different pages
	s := "ø ł ø ł"
	doc := printer.NewDocument().Spans(printer.AlignLeft,
		printer.Span{Text: s, Style: printer.Bold},
		printer.Span{Text: " ż", Style: printer.Small})
	b := MustEncode(t, doc, p)
	if n := bytes.Count(b, []byte{0x1b, 't'}); n < 3 {
		t.Errorf("expected ESC t switches inside the line, found %d in % x", n, b)
	}
	if got := strings.TrimSpace(MustText(t, b, p)); got != s+" ż" {
		t.Errorf("printed %q", got)
	}
}

// TestFallbackIsReadable prints on a printer with only PC437: what it
// cannot print comes out spelled the nearest readable way, never '?'.
func TestFallbackIsReadable(t *testing.T) {
	p := MustProfile(t, "generic-80")
	p.CodePages = []printer.CodePage{{N: 0, Name: "CP437"}}
	cases := []struct{ in, want string }{
		{"łódź", "lódz"}, // ó is in PC437, ł ź are not
		{"Łukasz Żółć", "Lukasz Zólc"},
		{"€ 10", "EUR 10"},
		{"“quote” – dash", "\"quote\" - dash"},
		{"Ødegård", "Odegård"},
		{"ąęśń", "aesn"},
		{"日本", "[U+65E5][U+672C]"},
	}
	for _, c := range cases {
		doc := printer.NewDocument().Text(c.in, printer.Plain, printer.AlignLeft)
		enc, err := printer.EncodeDetailed(doc, p)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.TrimRight(MustText(t, enc.Bytes, p), "\n")
		if got != c.want {
			t.Errorf("%q printed as %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "?") {
			t.Errorf("%q printed with a '?'", c.in)
		}
		if len(enc.Substituted) == 0 {
			t.Errorf("%q: substitutions not reported", c.in)
		}
	}
}

// TestSubstitutedCountsEachCharacterOnce: the report of fallbacks counts
// what went out, however often the layout measured the text.
func TestSubstitutedCountsEachCharacterOnce(t *testing.T) {
	p := MustProfile(t, "generic-80")
	p.CodePages = []printer.CodePage{{N: 0, Name: "CP437"}}
	doc := printer.NewDocument().
		Text("ł", printer.Plain, printer.AlignLeft).
		FitText(strings.Repeat("x", 40)+"ł", printer.Style{Width: 3}, printer.AlignLeft). // shrunk twice
		Row("ł", "1", printer.Plain)
	enc, err := printer.EncodeDetailed(doc, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.Substituted['ł']; got != 3 {
		t.Errorf("ł printed 3 times through a fallback, reported %d times", got)
	}
}

func TestWrapAndColumns(t *testing.T) {
	for _, id := range []string{"generic-58", "epson-tm-t88v", "epson-tm-t20iii"} {
		p := MustProfile(t, id)
		doc := printer.NewDocument().
			Text("Dette er en lang tekst som må brytes over flere linjer på smalt papir uten å kutte ord midt i.", printer.Plain, printer.AlignLeft).
			Row("Proteinpulver sjokolade ekstra stor pakke 2 kg", "kr 1 234,50", printer.Plain).
			LeaderRow("Sum", "kr 99,00", printer.Bold).
			Text("Stor", printer.Large, printer.AlignCenter)
		text := MustText(t, MustEncode(t, doc, p), p)
		ls := lines(text)
		for _, l := range ls {
			if n := len([]rune(l)); n > p.ColumnsA {
				t.Errorf("%s: line %q is %d columns, paper has %d", id, l, n, p.ColumnsA)
			}
		}
		if !strings.HasSuffix(strings.TrimRight(findLine(ls, "Proteinpulver"), " "), "kr 1 234,50") {
			t.Errorf("%s: amount not at the right end of the first row line: %q", id, ls)
		}
		sum := findLine(ls, "Sum")
		if !strings.Contains(sum, "Sum ...") || !strings.HasSuffix(sum, "kr 99,00") || len([]rune(sum)) != p.ColumnsA {
			t.Errorf("%s: leader row %q", id, sum)
		}
		for _, l := range ls {
			if strings.HasSuffix(l, "uten å kut") || strings.HasPrefix(l, "te ord") {
				t.Errorf("%s: word split: %q", id, l)
			}
		}
	}
}

func findLine(ls []string, prefix string) string {
	for _, l := range ls {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// FuzzPrintedText checks that any text prints without a '?' it did not
// have and with every line inside the paper.
func FuzzPrintedText(f *testing.F) {
	for _, s := range []string{printer.SampleText, "Åse Ødegård", "Zażółć gęślą jaźń", "日本語 🎉", "a\tb\x00c\x1bd", "o\u0308 n\u0303", strings.Repeat("W", 100)} {
		f.Add(s)
	}
	p, _ := printer.ProfileByID("generic-58")
	f.Fuzz(func(t *testing.T, s string) {
		doc := printer.NewDocument().Text(s, printer.Plain, printer.AlignLeft).Row(s, s, printer.Bold)
		b, err := printer.Encode(doc, p)
		if err != nil {
			t.Fatal(err)
		}
		text, err := printer.Text(b, p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "?") && !strings.Contains(s, "?") {
			t.Errorf("%q printed with '?': %q", s, text)
		}
		for _, l := range lines(text) {
			if len([]rune(l)) > p.ColumnsA {
				t.Errorf("%q: line %q wider than the paper", s, l)
			}
		}
	})
}

func TestRowEdges(t *testing.T) {
	p := MustProfile(t, "generic-58")
	doc := printer.NewDocument().
		Row("Bare venstre", "", printer.Plain).
		Row("", "kr 10,00", printer.Plain).
		Columns(printer.Plain, printer.Column{Text: "Midt", Align: printer.AlignCenter})
	got := lines(MustText(t, MustEncode(t, doc, p), p))
	want := []string{"Bare venstre", "                        kr 10,00", "              Midt"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestChineseModeCancelled: a 58 mm printer of the ZJ-5870 class may start
// in Chinese mode, where æøå come out as Chinese characters. The encoder
// leaves that mode with FS . right after ESC @; without it the renderer,
// which starts such profiles in Chinese mode, shows the damage.
func TestChineseModeCancelled(t *testing.T) {
	s := "Åse Ødegård: blåbær"
	for _, p := range printer.Profiles() {
		b := MustEncode(t, printer.NewDocument().Text(s, printer.Plain, printer.AlignLeft), p)
		hasFS := bytes.HasPrefix(b, []byte("\x1b@\x1c."))
		if hasFS != p.ChineseMode {
			t.Errorf("%s: FS . after ESC @ is %v, profile Chinese mode %v", p.ID, hasFS, p.ChineseMode)
		}
		if got := strings.TrimSpace(MustText(t, b, p)); got != s {
			t.Errorf("%s: printed %q", p.ID, got)
		}
		if p.ChineseMode {
			without := append([]byte("\x1b@"), b[4:]...)
			if got := MustText(t, without, p); !strings.ContainsRune(got, '\ufffd') || strings.Contains(got, "blåbær") {
				t.Errorf("%s: without FS . printed %q; the renderer does not model Chinese mode", p.ID, got)
			}
		}
	}
}

// TestBalticLetters: Lithuanian, Latvian and Estonian names print as they
// are on the printers with a Baltic code page, and as their base letters,
// never as code points or '?', on the others.
func TestBalticLetters(t *testing.T) {
	texts := []string{
		"Lietuvių: ąčęėįšųūž ĄČĘĖĮŠŲŪŽ",
		"Latviešu: āēģīķļņōŗ ĀĒĢĪĶĻŅŌŖ",
		"Eesti: Õnne Pärn, Jüri Šaulys",
		"Žemaitė Ģirts Ķēniņš Åse Ødegård",
	}
	baltic := map[string]bool{"epson-tm-t20iii": true, "epson-tm-t88v": true, "epson-tm-m30iii": true, "generic-80": true}
	for _, p := range printer.Profiles() {
		_, has1257 := p.Page("CP1257")
		_, has775 := p.Page("CP775")
		if baltic[p.ID] != (has1257 && has775) {
			t.Errorf("%s: CP1257 %v, CP775 %v", p.ID, has1257, has775)
		}
		for _, s := range texts {
			enc, err := printer.EncodeDetailed(printer.NewDocument().Text(s, printer.Plain, printer.AlignLeft), p)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(lines(MustText(t, enc.Bytes, p)), " ")
			if baltic[p.ID] {
				if got != s || len(enc.Substituted) > 0 {
					t.Errorf("%s: %q printed as %q (substituted %v)", p.ID, s, got, enc.Substituted)
				}
				continue
			}
			if strings.ContainsAny(got, "?[") || len([]rune(got)) != len([]rune(s)) {
				t.Errorf("%s: %q printed as %q", p.ID, s, got)
			}
		}
	}
	// CP775 alone carries Baltic and Nordic letters together.
	p := MustProfile(t, "epson-tm-t88v")
	p.CodePages = []printer.CodePage{{N: 33, Name: "CP775"}}
	s := "ąčęėįšųūž āēģīķļņōŗ æøå ÆØÅ"
	if got := strings.TrimSpace(MustText(t, MustEncode(t, printer.NewDocument().Text(s, printer.Plain, printer.AlignLeft), p), p)); got != s {
		t.Errorf("CP775 only: printed %q", got)
	}
}

// TestFallbackNearestLetter: letters no page has print as the nearest
// readable Latin letters instead of [U+XXXX].
func TestFallbackNearestLetter(t *testing.T) {
	p := MustProfile(t, "generic-80")
	p.CodePages = []printer.CodePage{{N: 16, Name: "CP1252"}}
	cases := []struct{ in, want string }{
		{"Đorđe Ħal Ŋ ı ŧ", "Dorde Hal N i t"},
		{"Ĳsselmeer ǅ", "IJsselmeer Dz"},
		{"Пётр Ильич", "Petr Il'ich"},
		{"Αθήνα", "Athina"},
		{"ﬁ x₂", "fi x2"},
		{"Ǿ ǽ", "O ae"},
	}
	for _, c := range cases {
		got := strings.TrimSpace(MustText(t, MustEncode(t, printer.NewDocument().Text(c.in, printer.Plain, printer.AlignLeft), p), p))
		if got != c.want {
			t.Errorf("%q printed as %q, want %q", c.in, got, c.want)
		}
	}
	// Only what has no letter at all keeps its code point.
	if got := printer.Fallback('日'); got != "[U+65E5]" {
		t.Errorf("日 falls back to %q", got)
	}
}
