package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireTools skips the test where the X tools cannot exist (not Linux) and
// fails it in CI, where `make test` installed them, so that a missing install
// step cannot pass unnoticed.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the Xvfb end-to-end tests run on Linux only")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: `make test` should have installed it", tool)
			}
			t.Skipf("%s is not installed; run `make test`, which installs it", tool)
		}
	}
}

// display is a running Xvfb server.
type display struct {
	name string // ":N"
	cmd  *exec.Cmd
}

// startXvfb starts Xvfb on a free display chosen by the server itself
// (-displayfd), so parallel test runs never collide.
func startXvfb(t *testing.T, width, height int) *display {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp", "+extension", "GLX")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if n == "" {
			t.Fatalf("Xvfb did not report a display: %s", stderr.String())
		}
		return &display{name: ":" + n, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb did not start within 30 s: %s", stderr.String())
	}
	return nil
}

// xdotool runs xdotool against the display and returns its trimmed output.
func (d *display) xdotool(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// screenshot grabs the whole screen with xwd and decodes it.
func (d *display) screenshot(ctx context.Context) (image.Image, error) {
	cmd := exec.CommandContext(ctx, "xwd", "-root", "-silent")
	cmd.Env = append(os.Environ(), "DISPLAY="+d.name)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("xwd: %w", err)
	}
	return decodeXWD(out)
}

// windowRect returns where the window lies on the screen.
func (d *display) windowRect(ctx context.Context, win string) (image.Rectangle, error) {
	geo, err := d.xdotool(ctx, "getwindowgeometry", "--shell", win)
	if err != nil {
		return image.Rectangle{}, err
	}
	var x, y, w, h int
	for _, kv := range strings.Fields(geo) {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "X":
			x = n
		case "Y":
			y = n
		case "WIDTH":
			w = n
		case "HEIGHT":
			h = n
		}
	}
	return image.Rect(x, y, x+w, y+h), nil
}

// settleBound is the longest a screenshot waits for the picture to hold
// still after the event it shows was reported. What animates (the entry's
// caret, a spinner) may never hold still, so past it the latest capture is
// taken as it is: the picture is a record, what the test asserts comes from
// the app's log lines.
const settleBound = 2 * time.Second

// caretPixels is how many pixels may change between two captures of a
// settled window: a blinking caret is 2 x ~24 pixels, a frame being drawn
// changes thousands.
const caretPixels = 400

// windowShotWhen captures the window once the app has drawn something (not
// a blank or half-mapped frame) that satisfies ready, and the picture has
// settled: two captures in a row that differ by no more than a caret's
// blink. It waits for settling at most settleBound after the first such
// capture, and for one as long as ctx allows.
func (d *display) windowShotWhen(ctx context.Context, win string, ready func(image.Image) bool) (image.Image, error) {
	var (
		last    *image.RGBA
		drawnAt time.Time
	)
	for {
		r, err := d.windowRect(ctx, win)
		if err != nil {
			return nil, err
		}
		img, err := d.screenshot(ctx)
		if err != nil {
			return nil, err
		}
		full := img.(*image.RGBA)
		if r.Intersect(full.Bounds()).Empty() {
			r = full.Bounds()
		}
		cur := cropRGBA(full, r)
		if distinctColours(cur) >= 8 && ready(cur) {
			if drawnAt.IsZero() {
				drawnAt = time.Now()
			}
			if last != nil && pixelsDiffer(last, cur) <= caretPixels || time.Since(drawnAt) > settleBound {
				return cur, nil
			}
			last = cur
		} else {
			last, drawnAt = nil, time.Time{}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the window was not drawn: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond): // Spacing between captures, not synchronisation.
		}
	}
}

// cropRGBA copies the part r of img into an image of its own, so that two
// captures of one window compare pixel for pixel.
func cropRGBA(img *image.RGBA, r image.Rectangle) *image.RGBA {
	r = r.Intersect(img.Bounds())
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:y*out.Stride+r.Dx()*4], img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return out
}

// pixelsDiffer counts the pixels in which a and b differ; images of other
// sizes differ everywhere.
func pixelsDiffer(a, b *image.RGBA) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	for i := 0; i+3 < len(a.Pix); i += 4 {
		if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
			n++
		}
	}
	return n
}

// decodeXWD decodes the ZPixmap, 24/32-bit TrueColor dumps that xwd makes of
// an Xvfb screen.
func decodeXWD(b []byte) (image.Image, error) {
	if len(b) < 100 {
		return nil, errors.New("xwd: short header")
	}
	h := make([]uint32, 25)
	for i := range h {
		h[i] = binary.BigEndian.Uint32(b[i*4:])
	}
	headerSize, format, width, height := h[0], h[2], int(h[4]), int(h[5])
	byteOrder, bpp, bpl := h[7], h[11], int(h[12])
	rmask, gmask, bmask, ncolors := h[14], h[15], h[16], h[19]
	if format != 2 || (bpp != 32 && bpp != 24) {
		return nil, fmt.Errorf("xwd: unsupported format %d with %d bits per pixel", format, bpp)
	}
	off := int(headerSize) + int(ncolors)*12
	if off+bpl*height > len(b) {
		return nil, errors.New("xwd: truncated pixel data")
	}
	var order binary.ByteOrder = binary.LittleEndian
	if byteOrder == 1 {
		order = binary.BigEndian
	}
	channel := func(px, mask uint32) uint8 {
		if mask == 0 {
			return 0
		}
		return uint8((px & mask) >> bits.TrailingZeros32(mask))
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	step := int(bpp / 8)
	for y := 0; y < height; y++ {
		row := b[off+y*bpl:]
		for x := 0; x < width; x++ {
			var px uint32
			if step == 4 {
				px = order.Uint32(row[x*4:])
			} else {
				px = uint32(row[x*3]) | uint32(row[x*3+1])<<8 | uint32(row[x*3+2])<<16
			}
			img.SetRGBA(x, y, color.RGBA{channel(px, rmask), channel(px, gmask), channel(px, bmask), 0xff})
		}
	}
	return img, nil
}

// distinctColours counts the colours of img, sampling every fourth pixel.
func distinctColours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 0}] = true
		}
	}
	return len(seen)
}

// savePNG writes img to path.
func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// logWatcher collects a process's output and lets a test wait for a line.
type logWatcher struct {
	mu   sync.Mutex
	buf  strings.Builder
	cond chan struct{}
	from int // waitFor looks only at output from this offset on.
}

func newLogWatcher() *logWatcher { return &logWatcher{cond: make(chan struct{})} }

// Write implements io.Writer.
func (l *logWatcher) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	close(l.cond)
	l.cond = make(chan struct{})
	l.mu.Unlock()
	return len(p), nil
}

// mark makes waitFor ignore everything written so far: call it before an
// action whose effect the next wait is about.
func (l *logWatcher) mark() {
	l.mu.Lock()
	l.from = l.buf.Len()
	l.mu.Unlock()
}

// String returns everything written so far.
func (l *logWatcher) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor blocks until a line written after the previous match contains
// every one of subs, or ctx ends. A match moves the starting point past
// the matched line.
func (l *logWatcher) waitFor(ctx context.Context, subs ...string) (string, error) {
	return l.waitMatch(ctx, fmt.Sprintf("no line with %q", subs), func(line string) bool {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				return false
			}
		}
		return true
	})
}

// waitMatch is waitFor for the first line match accepts; what describes
// the line in the error when ctx ends first.
func (l *logWatcher) waitMatch(ctx context.Context, what string, match func(line string) bool) (string, error) {
	for {
		l.mu.Lock()
		text, ch, from := l.buf.String(), l.cond, l.from
		l.mu.Unlock()
		off := from
		for _, line := range strings.SplitAfter(text[from:], "\n") {
			off += len(line)
			if !strings.HasSuffix(line, "\n") {
				break // Wait for the rest of the line.
			}
			if match(line) {
				l.mu.Lock()
				l.from = off
				l.mu.Unlock()
				return strings.TrimSpace(line), nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("%s in output since the last step:\n%s", what, text[from:])
		}
	}
}

var _ io.Writer = (*logWatcher)(nil)
