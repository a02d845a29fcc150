package scanner_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// FuzzProcess checks what the pipeline promises for any input: it does not
// panic, a valid class means a code that really validates, the code of a
// scan reads back as itself, and a rejection says what was read.
func FuzzProcess(f *testing.F) {
	layouts := scanner.Layouts()
	f.Fuzz(func(t *testing.T, data string, mix uint8) {
		opts := scanner.Options{DedupWindow: -1}
		if mix != 0 {
			opts.HostLayout, opts.ScannerLayout = layouts[int(mix)%len(layouts)], layouts[int(mix/8)%len(layouts)]
		}
		sc, err := scanner.NewPipeline(opts).Process(scanner.Reading{Data: data, Source: scanner.SourceWedge, At: t0})
		var inv *scanner.InvalidError
		switch {
		case errors.Is(err, scanner.ErrEmpty):
			return
		case errors.As(err, &inv):
			if inv.Raw == "" {
				t.Fatalf("%q: InvalidError without what was read", data)
			}
			return
		case err != nil:
			t.Fatalf("%q: unexpected error %v", data, err)
		}
		if sc.Raw != data {
			t.Fatalf("Raw %q, want %q", sc.Raw, data)
		}
		switch sc.Class {
		case scanner.Reference, scanner.GiftCardCode:
			want := skranke.ReferenceLen
			if sc.Class == scanner.GiftCardCode {
				want = skranke.GiftCardLen
			}
			if len(sc.Code) != want || !skranke.ValidCheck(sc.Code) {
				t.Fatalf("%q gave %v %q, which does not validate", data, sc.Class, sc.Code)
			}
		case scanner.EAN13:
			if len(sc.Code) != 13 || !scanner.GTINCheck(sc.Code) || strings.Trim(sc.Code, "0123456789") != "" {
				t.Fatalf("%q gave EAN-13 %q", data, sc.Code)
			}
		case scanner.Unknown:
			if sc.Code == "" || !utf8.ValidString(sc.Code) && utf8.ValidString(data) {
				t.Fatalf("%q gave unknown %q", data, sc.Code)
			}
			return
		}
		again, err := scanner.NewPipeline(scanner.Options{DedupWindow: -1}).Process(scanner.Reading{Data: sc.Code, Source: "serial:x"})
		if err != nil || again.Code != sc.Code || again.Class != sc.Class {
			t.Fatalf("%q gave %q (%v), which reads back as %q (%v), %v", data, sc.Code, sc.Class, again.Code, again.Class, err)
		}
	})
}

// FuzzFrames checks that how bytes are chunked on the wire never changes
// the readings.
func FuzzFrames(f *testing.F) {
	f.Fuzz(func(t *testing.T, stream []byte, suffix string, chunk uint8) {
		if len(suffix) > 8 {
			suffix = suffix[:8]
		}
		whole := scanner.Frames(suffix, stream)
		n := 1 + int(chunk)%17
		var chunks [][]byte
		for rest := stream; len(rest) > 0; {
			k := min(n, len(rest))
			chunks, rest = append(chunks, rest[:k]), rest[k:]
		}
		split := scanner.Frames(suffix, chunks...)
		if strings.Join(whole, "\x00") != strings.Join(split, "\x00") {
			t.Fatalf("suffix %q, chunks of %d: %q, whole: %q", suffix, n, split, whole)
		}
		for _, fr := range whole {
			if fr == "" {
				t.Fatal("empty frame")
			}
		}
	})
}

// FuzzKeyboardDecoder feeds arbitrary reports: no panic, and no code holds
// the terminators that end codes.
func FuzzKeyboardDecoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, reports []byte, layout uint8) {
		l := scanner.Layouts()[int(layout)%len(scanner.Layouts())]
		d := scanner.NewKeyboardDecoder(l)
		for rest := reports; len(rest) >= 8; rest = rest[8:] {
			for _, code := range d.Feed(rest[:8]) {
				if code == "" || strings.ContainsAny(code, "\r\t") {
					t.Fatalf("code %q", code)
				}
			}
		}
	})
}

// FuzzPOSDecoder feeds arbitrary 64-byte reports: no panic, and no code
// holds more bytes than the reports carried.
func FuzzPOSDecoder(f *testing.F) {
	f.Fuzz(func(t *testing.T, reports []byte) {
		var d scanner.POSDecoder
		var total int
		for rest := reports; len(rest) > 0; {
			k := min(64, len(rest))
			r := rest[:k]
			rest = rest[k:]
			total += k
			if data, _, ok := d.Feed(r); ok && len(data) > total*2 {
				t.Fatalf("%d bytes of data from %d bytes of reports", len(data), total)
			}
		}
	})
}
