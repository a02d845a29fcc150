package sync_test

import (
	"testing"

	desksync "github.com/skranke/skranke/sync"
)

// Codes arrive typed, grouped as printed, or from a scanner that ends them
// with a line break; desk and shop must read them all as the same code.
func TestNormalizeCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"K7RM4QX2", "K7RM4QX2"},
		{"k7rm-4qx2", "K7RM4QX2"},
		{"abcd-efgh 1234", "ABCDEFGH1234"},
		{" K7RM 4QX2\r\n", "K7RM4QX2"},
		{"k7rm\t4qx2", "K7RM4QX2"},
		{"K7RM\u00a04QX2", "K7RM4QX2"},
		{"", ""},
	} {
		if got := desksync.NormalizeCode(tc.in); got != tc.want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
