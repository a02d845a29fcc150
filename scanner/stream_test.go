package scanner_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/scanner"
)

// randomCode returns a code of n symbols with a correct check character.
func randomCode(rng *rand.Rand, n int) string {
	b := make([]byte, n-1)
	for i := range b {
		b[i] = skranke.Alphabet[rng.IntN(32)]
	}
	return withCheck(string(b))
}

// corrupt makes one typical read error in code: a substituted symbol, two
// neighbours swapped, a symbol dropped or one added.
func corrupt(rng *rand.Rand, code string) string {
	b := []byte(code)
	i := rng.IntN(len(b))
	switch rng.IntN(4) {
	case 0:
		c := b[i]
		for b[i] == c {
			b[i] = skranke.Alphabet[rng.IntN(32)]
		}
	case 1:
		for j := 0; j < len(b)-1; j++ {
			k := (i + j) % (len(b) - 1)
			if b[k] != b[k+1] {
				b[k], b[k+1] = b[k+1], b[k]
				break
			}
		}
	case 2:
		b = append(b[:i], b[i+1:]...)
	default:
		b = append(b[:i], append([]byte{skranke.Alphabet[rng.IntN(32)]}, b[i:]...)...)
	}
	return string(b)
}

// TestGarbageNeverValid runs a long byte stream through the serial framing
// and the pipeline: good codes in many printed forms, codes with one read
// error, and line noise. Every good code must come out, and nothing else as
// a valid code.
func TestGarbageNeverValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 2026))
	issued := map[string]bool{}
	var stream []byte
	good := 0
	for i := 0; i < 20000; i++ {
		switch k := rng.IntN(10); {
		case k < 4:
			code := randomCode(rng, []int{skranke.ReferenceLen, skranke.GiftCardLen}[rng.IntN(2)])
			if issued[code] {
				continue
			}
			issued[code] = true
			good++
			shown := code
			if rng.IntN(2) == 0 {
				shown = skranke.GroupCode(shown)
			}
			if rng.IntN(2) == 0 {
				shown = strings.ToLower(shown)
			}
			if rng.IntN(3) == 0 {
				shown = "]Q1" + shown
			}
			stream = append(stream, shown...)
		case k < 7:
			stream = append(stream, corrupt(rng, randomCode(rng, []int{skranke.ReferenceLen, skranke.GiftCardLen}[rng.IntN(2)]))...)
		default:
			n := 1 + rng.IntN(40)
			for range n {
				stream = append(stream, byte(rng.IntN(256)))
			}
		}
		stream = append(stream, "\r\n"[:1+rng.IntN(2)]...)
	}
	var chunks [][]byte
	for rest := stream; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(64))
		chunks, rest = append(chunks, rest[:n]), rest[n:]
	}
	p := scanner.NewPipeline(scanner.Options{DedupWindow: -1})
	found := map[string]bool{}
	for _, frame := range scanner.Frames("\r\n", chunks...) {
		sc, err := p.Process(scanner.Reading{Data: frame, Source: "serial:/dev/ttyACM0", At: t0})
		var inv *scanner.InvalidError
		if err != nil && !errors.As(err, &inv) && !errors.Is(err, scanner.ErrEmpty) {
			t.Fatalf("frame %q: %v", frame, err)
		}
		if err != nil || (sc.Class != scanner.Reference && sc.Class != scanner.GiftCardCode) {
			continue
		}
		if !issued[sc.Code] {
			t.Fatalf("frame %q gave the valid code %s, which was never issued", frame, sc.Code)
		}
		found[sc.Code] = true
	}
	if len(found) != good {
		t.Fatalf("%d of %d good codes came through", len(found), good)
	}
	t.Logf("%d bytes, %d good codes, all found, no false code", len(stream), good)
}
