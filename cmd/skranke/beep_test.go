//go:build !windows

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRefusalToneIsAShortWAV(t *testing.T) {
	wav := refusalWAV()
	var h wavHeader
	if err := binary.Read(bytes.NewReader(wav), binary.LittleEndian, &h); err != nil {
		t.Fatal(err)
	}
	if string(h.RIFF[:]) != "RIFF" || string(h.WAVE[:]) != "WAVE" || string(h.Data[:]) != "data" || h.Format != 1 || h.Bits != 16 {
		t.Fatalf("not a 16-bit PCM WAV: %+v", h)
	}
	if int(h.Size) != len(wav)-8 || int(h.DataSize) != len(wav)-44 {
		t.Errorf("sizes %d/%d for %d bytes", h.Size, h.DataSize, len(wav))
	}
	ms := 1000 * int(h.DataSize) / int(h.ByteRate)
	if ms < 100 || ms > 300 {
		t.Errorf("the tone lasts %d ms; a refusal tone is short but heard", ms)
	}
}

// A beep returns while the player still plays, a beep meanwhile is
// dropped, and the player gets the tone's file.
func TestRefusalToneDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	gate, out, starts := filepath.Join(dir, "gate"), filepath.Join(dir, "out.wav"), filepath.Join(dir, "starts")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBeeper(context.Background(), dir)
	if b == nil {
		b = &playerBeeper{ctx: context.Background()}
	}
	wav := toneFile(dir)
	// A player that plays until the test opens the gate.
	b.argv = []string{"sh", "-c", `echo start >> "` + starts + `"; cat "` + gate + `" > /dev/null; cp "$0" "` + out + `"`, wav}
	ended := make(chan struct{}, 2)
	b.done = func() { ended <- struct{}{} }

	b.Refusal()                                 // Returns although the player waits at the gate.
	b.Refusal()                                 // Dropped: one is playing.
	g, err := os.OpenFile(gate, os.O_WRONLY, 0) // Blocks until the player reads: it runs.
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	<-ended
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, refusalWAV()) {
		t.Error("the player did not get the refusal tone")
	}
	s, _ := os.ReadFile(starts)
	if n := strings.Count(string(s), "start"); n != 1 {
		t.Errorf("%d players started for two beeps while one played", n)
	}
}
