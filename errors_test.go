package skranke_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/skranke/skranke"
)

func TestErrorKinds(t *testing.T) {
	base := skranke.E("sync.Client.Lookup", skranke.NotFound, "no purchase K7RM4QX2")
	wrapped := fmt.Errorf("showing the purchase: %w", base)
	outer := skranke.E("sync.Desk.Lookup", skranke.Other, wrapped)
	reclassified := skranke.E("sync.Desk.Deliver", skranke.Conflict, base)
	for _, tc := range []struct {
		name string
		err  error
		want skranke.Kind
	}{
		{"nil", nil, skranke.Other},
		{"plain error", io.EOF, skranke.Other},
		{"direct", base, skranke.NotFound},
		{"wrapped by fmt", wrapped, skranke.NotFound},
		{"under an error of kind Other", outer, skranke.NotFound},
		{"outer kind wins", reclassified, skranke.Conflict},
	} {
		if got := skranke.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf = %v, want %v", tc.name, got, tc.want)
		}
	}
	var e *skranke.Error
	if !errors.As(wrapped, &e) || e.Op != "sync.Client.Lookup" || e.Kind != skranke.NotFound {
		t.Errorf("errors.As = %+v", e)
	}
	if got, want := wrapped.Error(), "showing the purchase: sync.Client.Lookup: no purchase K7RM4QX2"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(skranke.E("op", skranke.Internal, io.EOF), io.EOF) {
		t.Error("E does not wrap the error it was given")
	}
	if got := skranke.E("op", skranke.Forbidden, nil).Error(); got != "op: forbidden" {
		t.Errorf("Error() without a cause = %q", got)
	}
}

func TestKindWireNames(t *testing.T) {
	for k := skranke.Other; k <= skranke.Unknown; k++ {
		if got := skranke.KindFromString(k.String()); got != k {
			t.Errorf("KindFromString(%q) = %v, want %v", k.String(), got, k)
		}
	}
	if got := skranke.KindFromString("no_such_kind"); got != skranke.Other {
		t.Errorf("an unknown code maps to %v", got)
	}
	if skranke.Unknown.String() != "outcome_unknown" || skranke.NotFound.String() != "not_found" {
		t.Errorf("wire names changed: %s, %s", skranke.Unknown, skranke.NotFound)
	}
}
