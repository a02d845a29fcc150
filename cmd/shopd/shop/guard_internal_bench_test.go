package shop

import (
	"strings"
	"testing"
)

// BenchmarkRequestTextChecks is what the checks of guard.go add to a
// delivery: its path, its (empty) query and its body.
func BenchmarkRequestTextChecks(b *testing.B) {
	path := "/api/v1/purchases/K7RM4QX2/deliveries"
	body := []byte(`{"id":"4f9c2b7e-8d1a-4c3e-9b5f-2a6d8e0c1f37","lines":[{"line_id":"1","quantity":1},{"line_id":"2","quantity":2}],` +
		`"at":"2026-11-24T09:00:00Z","signature_id":"sig-4f9c2b7e-8d1a-4c3e-9b5f-2a6d8e0c1f37","recorded_offline":true,"stated_by":"kari"}`)
	b.SetBytes(int64(len(path) + len(body)))
	for b.Loop() {
		if !controlFree(path) || !rawQueryControlFree("") || !cleanPath(path) || !jsonControlFree(body) {
			b.Fatal("refused")
		}
	}
}

func TestTextChecks(t *testing.T) {
	for _, tc := range []struct {
		json string
		ok   bool
	}{
		{`{"a":"Åse Ødegård"}`, true},
		{`{"a":"a\\nb"}`, true}, // A backslash, then n.
		{`{"a":"a\\\\u0000"}`, true},
		{`{"a":"\u00a0\u00ff\u0100"}`, true},
		{`{"a":"x\u00A0"}`, true},
		{`{"a":"a\nb"}`, false},
		{`{"a":"a\tb"}`, false},
		{`{"a":"a\\\nb"}`, false},
		{`{"a":"\u0000"}`, false},
		{`{"a":"\u001F"}`, false},
		{`{"a":"\u007f"}`, false},
		{`{"a":"\u0085"}`, false},
		{`{"a":"\u009F"}`, false},
		{"{\"a\":\"\x7f\"}", false},
		{"{\"a\":\"\u0085\"}", false},
		{"{\"a\":\"\u00a0\"}", true},
	} {
		if got := jsonControlFree([]byte(tc.json)); got != tc.ok {
			t.Errorf("jsonControlFree(%s) = %v, want %v", tc.json, got, tc.ok)
		}
	}
	for q, ok := range map[string]bool{"q=kari": true, "q=%C3%85se": true, "q=%C2%A0": true, "q=a%00": false, "q=%1f": false,
		"q=%7F": false, "q=%C2%85": false, "q=%c2%9f": false, "q=%": true, "q=%zz": true} {
		if got := rawQueryControlFree(q); got != ok {
			t.Errorf("rawQueryControlFree(%q) = %v, want %v", q, got, ok)
		}
	}
	for p, ok := range map[string]bool{"/api/v1/desk": true, "/api/v1/desk/": true, "/": true, "/api/v1/a.b/..c": true,
		"//desk": false, "/api/v1//desk": false, "/api/v1/./desk": false, "/api/v1/x/..": false, "/api/v1/x/.": false, "api": false} {
		if got := cleanPath(p); got != ok {
			t.Errorf("cleanPath(%q) = %v, want %v", p, got, ok)
		}
	}
	if !controlFree(strings.Repeat("Åse ", 10)) || controlFree("a\x00") || controlFree("a\u0085") || !controlFree("a\u00a0") {
		t.Error("controlFree")
	}
}
