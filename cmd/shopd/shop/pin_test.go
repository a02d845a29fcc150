package shop

import (
	"testing"
	"time"
)

// TestDemoVerifiersMatchThePINs keeps the precomputed demo verifiers in
// step with the demo PINs, their salts and the verifier parameters.
func TestDemoVerifiersMatchThePINs(t *testing.T) {
	for _, s := range demoData(time.Now()).staff {
		v := demoVerifiers[s.ID]
		if want := encodeVerifier(s.PIN, s.salt, pinTime, pinMemory, pinThreads); v != want {
			t.Errorf("demoVerifiers[%q] = %q, want %q", s.ID, v, want)
		}
	}
}
