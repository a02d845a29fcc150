package skranke_test

import (
	"strings"
	"testing"

	"github.com/skranke/skranke"
)

func TestFoldSearch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Åse", "ase"},
		{"Ødegård", "odegard"},
		{"KJÆRNES", "kjaernes"},
		{"Ängström Öberg", "angstrom oberg"},
		{"José Müller-Łukasz", "jose muller lukasz"},
		{"ase.odegard@example.no", "ase odegard example no"},
		{"bad\xffbyte", "bad byte"},
		{`"NEAR" * -x`, ` near     x`},
	} {
		if got := skranke.FoldSearch(tc.in); got != tc.want {
			t.Errorf("FoldSearch(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		name, q string
		terms   []string
		problem skranke.SearchProblem
	}{
		{"name", "Åse Ødegård", []string{"ase", "odegard"}, skranke.SearchOK},
		{"phone with country code", "+47 991 69 481", []string{"99169481"}, skranke.SearchOK},
		{"phone with 0047", "(0047) 991-69-481", []string{"99169481"}, skranke.SearchOK},
		{"phone bare", "99169481", []string{"99169481"}, skranke.SearchOK},
		{"part of a phone", "991 69", []string{"99169"}, skranke.SearchOK},
		{"code with hyphen", "K7RM-4QX2", []string{"k7rm", "4qx2"}, skranke.SearchOK},
		{"short term narrows", "Li Hansen", []string{"li", "hansen"}, skranke.SearchOK},
		{"duplicate terms", "ase ASE", []string{"ase"}, skranke.SearchOK},
		{"FTS syntax is text", `"ase" NEAR -odeg*`, []string{"ase", "near", "odeg"}, skranke.SearchOK},
		{"empty", "", nil, skranke.SearchEmpty},
		{"spaces", "   ", nil, skranke.SearchEmpty},
		{"quote", `"`, nil, skranke.SearchEmpty},
		{"star", "*", nil, skranke.SearchEmpty},
		{"minus", "-", nil, skranke.SearchEmpty},
		{"one char", "å", nil, skranke.SearchTooShort},
		{"two digits", "47", nil, skranke.SearchTooShort},
		{"one letter of three bytes", "王", nil, skranke.SearchTooShort},
		{"two Cyrillic letters", "жж", nil, skranke.SearchTooShort},
		{"three Cyrillic letters", "Жжж", []string{"жжж"}, skranke.SearchOK},
		{"invalid UTF-8 only", "\xff\xfe", nil, skranke.SearchEmpty},
		{"invalid UTF-8 inside", "ase\xffodegard", []string{"ase", "odegard"}, skranke.SearchOK},
		{"1000 characters", strings.Repeat("a", 1000), nil, skranke.SearchTooLong},
		{"too many terms", "aaa b c d e f g", nil, skranke.SearchTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := skranke.ParseSearch(tc.q)
			if q.Problem != tc.problem {
				t.Fatalf("problem = %v, want %v", q.Problem, tc.problem)
			}
			if strings.Join(q.Terms, "|") != strings.Join(tc.terms, "|") {
				t.Fatalf("terms = %q, want %q", q.Terms, tc.terms)
			}
		})
	}
}

func TestSearchTextMatches(t *testing.T) {
	p := &skranke.Purchase{Code: "K7RM4QX2", Buyer: skranke.Buyer{Name: "Åse Ødegård", Email: "Ase.Odegard@Example.no", Phone: "+47 991 69 481"}}
	text := skranke.SearchText(p)
	for _, q := range []string{"ase", "ÅSE ødegård", "odegard@example", "+47 991 69 481", "99169481", "4799169481", "69 481", "4qx2", "k7rm-4qx2", "Ødeg", "rm4q"} {
		if !skranke.ParseSearch(q).Matches(text) {
			t.Errorf("%q does not find %q", q, text)
		}
	}
	for _, q := range []string{"hansen", "99169482", "ase hansen", "", "a", "degard", "xample"} {
		if skranke.ParseSearch(q).Matches(text) {
			t.Errorf("%q finds %q", q, text)
		}
	}
}

// A web shop passes on whatever a customer typed as a phone number; its
// search text must not grow with the square of the number's length, and
// the number must still be found by its end and as a whole.
func TestSearchTextOfALongPhoneStaysSmall(t *testing.T) {
	phone := strings.Repeat("1234567890", 800)
	text := skranke.SearchText(&skranke.Purchase{Code: "K7RM4QX2", Buyer: skranke.Buyer{Name: "x", Phone: phone}})
	if len(text) > 2*len(phone)+skranke.MaxSearchTail*skranke.MaxSearchTail+100 {
		t.Fatalf("a %d-digit phone gives a %d-byte search text; want it linear in the phone", len(phone), len(text))
	}
	for _, q := range []string{phone[:90], "67890", phone[len(phone)-skranke.MaxSearchTail:], "4qx2"} {
		if !skranke.ParseSearch(q).Matches(text) {
			t.Errorf("%.20q… does not find the purchase", q)
		}
	}
}

func TestFTSMatch(t *testing.T) {
	for _, tc := range []struct {
		q     string
		match string
		exact bool
	}{
		{"Åse Ødegård", `"ase"* AND "odegard"*`, true},
		{"+47 991 69 481", `"99169481"*`, true},
		{"Kristiansen", `"kristian"*`, false},
		{"Kari H", `"kari"*`, false},
		{"Li Hansen", `"li"* AND "hansen"*`, true},
		{`"; DROP TABLE purchases --`, `"drop"* AND "table"* AND "purchase"*`, false},
		{"Жжж", `"жжж"*`, true},
	} {
		t.Run(tc.q, func(t *testing.T) {
			match, exact := skranke.ParseSearch(tc.q).FTSMatch()
			if match != tc.match || exact != tc.exact {
				t.Fatalf("FTSMatch = %q, %v; want %q, %v", match, exact, tc.match, tc.exact)
			}
		})
	}
	if match, exact := (skranke.SearchQuery{Terms: []string{"a", "b"}}).FTSMatch(); match != "" || exact {
		t.Fatalf("one-letter terms give %q, %v; want nothing to look up", match, exact)
	}
}

func TestSearchLocal(t *testing.T) {
	for _, tc := range []struct {
		q      string
		domain int
		local  []string
	}{
		{"kari.nordmann@example.no", 2, []string{"kari", "nordmann"}},
		{"Åse.Ødegård@EXAMPLE.NO", 2, []string{"ase", "odegard"}},
		{"kari nordmann kari@example.no", 2, []string{"kari", "nordmann"}},
		{"ola.ola@ola.no", 1, []string{"ola"}}, // Only "no" is new after the @.
		{"post@post.no", 1, []string{"post"}},
		{"a@example.no", 2, []string{"a", "example", "no"}},           // Nothing left to look up: whole.
		{"kari@", 0, []string{"kari"}},                                // No domain typed.
		{"@example.no", 2, []string{"example", "no"}},                 // No local part: whole.
		{"Kari Nordmann", 0, []string{"kari", "nordmann"}},            // No @.
		{"ole@x@y.no", 3, []string{"ole"}},                            // After the first @.
		{"torbjornmorset59@live.no", 2, []string{"torbjornmorset59"}}, // Long words stay whole.
	} {
		t.Run(tc.q, func(t *testing.T) {
			q := skranke.ParseSearch(tc.q)
			if q.Domain != tc.domain {
				t.Fatalf("Domain = %d of %q, want %d", q.Domain, q.Terms, tc.domain)
			}
			if got := q.Local().Terms; strings.Join(got, "|") != strings.Join(tc.local, "|") {
				t.Fatalf("Local = %q, want %q", got, tc.local)
			}
		})
	}
}

func TestFTSMatchWhole(t *testing.T) {
	for _, tc := range []struct {
		q     string
		match string
		exact bool
	}{
		{"torbjornmorset59", `"torbjornmorset59"*`, true},
		{"Kari H", `"kari"*`, false},
		{"Åse Ødegård", `"ase"* AND "odegard"*`, true},
	} {
		if match, exact := skranke.ParseSearch(tc.q).FTSMatchWhole(); match != tc.match || exact != tc.exact {
			t.Errorf("FTSMatchWhole(%q) = %q, %v; want %q, %v", tc.q, match, exact, tc.match, tc.exact)
		}
	}
}
