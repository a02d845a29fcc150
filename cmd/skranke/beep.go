package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
)

// toneRate is the refusal tone's sample rate: 16-bit mono.
const toneRate = 22050

// wavHeader is the header of a 16-bit mono PCM WAV file.
type wavHeader struct {
	RIFF        [4]byte
	Size        uint32
	WAVE, Fmt   [4]byte
	FmtSize     uint32
	Format      uint16
	Channels    uint16
	Rate        uint32
	ByteRate    uint32
	Align, Bits uint16
	Data        [4]byte
	DataSize    uint32
}

// refusalWAV returns the refusal tone as a WAV file: 440 Hz then 330 Hz,
// 90 ms each, with 15 ms ramps so that it does not click; low and falling,
// unlike a scanner's beep.
func refusalWAV() []byte {
	var pcm []int16
	for _, f := range []float64{440, 330} {
		n, ramp := toneRate*90/1000, toneRate*15/1000
		for i := range n {
			amp := 0.5
			if i < ramp {
				amp *= float64(i) / float64(ramp)
			} else if n-i < ramp {
				amp *= float64(n-i) / float64(ramp)
			}
			pcm = append(pcm, int16(amp*math.MaxInt16*math.Sin(2*math.Pi*f*float64(i)/toneRate)))
		}
	}
	data := uint32(2 * len(pcm))
	h := wavHeader{RIFF: [4]byte{'R', 'I', 'F', 'F'}, Size: 36 + data, WAVE: [4]byte{'W', 'A', 'V', 'E'}, Fmt: [4]byte{'f', 'm', 't', ' '},
		FmtSize: 16, Format: 1, Channels: 1, Rate: toneRate, ByteRate: 2 * toneRate, Align: 2, Bits: 16,
		Data: [4]byte{'d', 'a', 't', 'a'}, DataSize: data}
	var b bytes.Buffer
	// Writes to a bytes.Buffer do not fail.
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, pcm)
	return b.Bytes()
}

// playerBeeper sounds the refusal tone through the system's own sound
// player, started as a process: no audio library in the binary (on Linux
// one would need ALSA headers at build time), and a beep never blocks the
// UI. A beep asked for while one plays is dropped rather than queued, so
// that a run of refusals does not become a run of beeps. With no player on
// the system it is silent.
type playerBeeper struct {
	ctx     context.Context
	argv    []string // The player and its arguments; the WAV file's path is the last.
	playing atomic.Bool
	done    func() // Called when a beep's player has ended (tests).
}

// players lists the sound players tried, in order, per OS. Each plays
// the file named last and returns when done.
func players(goos string, wav string) [][]string {
	switch goos {
	case "windows":
		return [][]string{{"powershell", "-NoProfile", "-NonInteractive", "-Command",
			"(New-Object System.Media.SoundPlayer '" + wav + "').PlaySync()"}}
	case "darwin":
		return [][]string{{"afplay", wav}}
	}
	return [][]string{{"paplay", wav}, {"pw-play", wav}, {"aplay", "-q", wav}}
}

// newBeeper writes the refusal tone into dir and finds a player for it.
// It returns nil, for silence, when there is none or the file cannot be
// written.
func newBeeper(ctx context.Context, dir string) *playerBeeper {
	wav := toneFile(dir)
	if err := os.WriteFile(wav, refusalWAV(), 0o600); err != nil {
		slog.Warn("refusal tone off: cannot write its sound file", "err", err)
		return nil
	}
	for _, argv := range players(runtime.GOOS, wav) {
		if _, err := exec.LookPath(argv[0]); err == nil {
			slog.Info("refusal tone", "player", argv[0])
			return &playerBeeper{ctx: ctx, argv: argv}
		}
	}
	slog.Info("refusal tone off: no sound player found (paplay, pw-play, aplay; afplay; powershell)")
	return nil
}

// toneFile is where the refusal tone's file is kept in dir.
func toneFile(dir string) string { return filepath.Join(dir, "refusal.wav") }

// Refusal implements app.Beeper: it starts the player and returns at once.
func (b *playerBeeper) Refusal() {
	if !b.playing.CompareAndSwap(false, true) {
		return
	}
	cmd := exec.CommandContext(b.ctx, b.argv[0], b.argv[1:]...)
	if err := cmd.Start(); err != nil {
		b.playing.Store(false)
		slog.Warn("refusal tone", "player", b.argv[0], "err", err)
		return
	}
	go func() {
		if err := cmd.Wait(); err != nil {
			slog.Debug("refusal tone", "player", b.argv[0], "err", err)
		}
		b.playing.Store(false)
		if b.done != nil {
			b.done()
		}
	}()
}
