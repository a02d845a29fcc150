package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skranke/skranke/cmd/shopd/shop"
)

func TestDemoCodesFlagPrintsStableCodes(t *testing.T) {
	var out [2]bytes.Buffer
	for i := range out {
		if err := run([]string{"-demo-codes"}, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	if out[0].String() != out[1].String() {
		t.Fatal("two runs of -demo-codes printed different tables")
	}
	for _, c := range shop.DemoCodes() {
		if !strings.Contains(out[0].String(), c.Code) {
			t.Errorf("the table lacks %s (%s)", c.Code, c.Label)
		}
	}
	for _, s := range []string{shop.DemoDeskToken, shop.DemoShopToken, "9999", "Åsheim"} {
		if !strings.Contains(out[0].String(), s) {
			t.Errorf("the table lacks %q", s)
		}
	}
}

func TestBadFlagIsAnError(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-no-such-flag"}, &out); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
}

func TestBadTrustedProxyIsAnError(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-db", t.TempDir() + "/shop.db", "-trusted-proxy", "10.0.0.0/99"}, &out)
	if err == nil || !strings.Contains(err.Error(), "-trusted-proxy") {
		t.Fatalf("a malformed -trusted-proxy gave %v", err)
	}
}
