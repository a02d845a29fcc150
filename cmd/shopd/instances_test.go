package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/skranke/skranke/cmd/shopd/shop"
	"github.com/skranke/skranke/cmd/shopd/shop/shoptest"
)

// pg is this test binary's PostgreSQL cluster; bin its shopd binary. Both
// are made when a test first needs them and removed by TestMain.
var (
	pg  shoptest.Postgres
	bin builtBinary
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		code = 1
	}
	bin.remove()
	os.Exit(code)
}

// builtBinary is shopd built from this package's source, once per test binary.
type builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func (b *builtBinary) get(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "shopd-bin-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "shopd")
		out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *builtBinary) remove() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// instance is one shopd process.
type instance struct {
	t      testing.TB
	URL    string // http://127.0.0.1:port
	cmd    *exec.Cmd
	lines  chan string // stdout after the listening line
	stderr *bytes.Buffer
	logs   chan string // stderr, line by line
	exited chan struct{}
	err    error // The process's exit, once exited is closed.
	mu     sync.Mutex
}

// waitLog waits for a line on stderr containing s.
func (in *instance) waitLog(s string) {
	in.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line := <-in.logs:
			if strings.Contains(line, s) {
				return
			}
		case <-timeout:
			in.t.Fatalf("shopd did not log %q within 60 s", s)
		}
	}
}

// startShopd runs the shopd binary with args and an -addr on a free port,
// and returns once it says where it listens. It is stopped when t ends.
func startShopd(t testing.TB, args ...string) *instance {
	t.Helper()
	return startShopdEnv(t, nil, args...)
}

// startShopdEnv is startShopd with extra environment variables
// ("NAME=value").
func startShopdEnv(t testing.TB, env []string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin.get(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	in := &instance{t: t, cmd: cmd, lines: make(chan string, 100), stderr: &bytes.Buffer{},
		logs: make(chan string, 1000), exited: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			in.mu.Lock()
			in.stderr.WriteString(sc.Text() + "\n")
			in.mu.Unlock()
			select {
			case in.logs <- sc.Text():
			default:
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "shopd listening on "); ok {
				listening <- strings.SplitN(rest, shop.APIPrefix, 2)[0]
				continue
			}
			select {
			case in.lines <- line:
			default:
			}
		}
		<-stderrDone
		in.err = cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-in.exited:
		default:
			cmd.Process.Kill()
			<-in.exited
		}
	})
	select {
	case in.URL = <-listening:
	case <-in.exited:
		t.Fatalf("shopd %v exited before listening: %v\n%s", args, in.err, in.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("shopd %v did not listen within 60 s", args)
	}
	return in
}

// startChain starts n demo shopd processes on one new PostgreSQL database,
// all at once, as a deploy of a chain does, and returns them and the
// database's URL.
func startChain(t *testing.T, n int) ([]*instance, string) {
	t.Helper()
	url := pg.Cluster(t).NewEmptyDatabase(t)
	out := make([]*instance, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i] = startShopd(t, "-demo", "-db", url, "-pool", "8") })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out, url
}

// answer is an HTTP response read whole.
type answer struct {
	status   int
	body     []byte
	replayed bool
}

func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// call sends a request as a desk (token shop.DemoDeskToken), or as the web
// shop when asShop; v, when not nil, is sent as JSON.
func call(t testing.TB, hc *http.Client, method, url string, key string, asShop bool, v any) answer {
	t.Helper()
	var body io.Reader
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if asShop {
		req.Header.Set("Authorization", "Bearer "+shop.DemoShopToken)
	} else {
		req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
		req.Header.Set(shop.SessionHeader, staffSession(t, hc, url))
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return answer{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
	}
	return answer{status: resp.StatusCode, body: b, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
}

func newKey() string { return uuid.NewString() }

// sessions holds the staff sessions of the demo staff member at the demo
// desk, by the server's scheme and host (a *baseSession each): chain
// instances share theirs through the database, but each test server has
// its own.
var sessions sync.Map

// baseSession is one server's staff session, opened once however many
// desks ask at the same moment: each login is a PIN check (argon2id, one
// at a time per staff member), and fifty at once on a busy machine took
// longer than the server's write timeout.
type baseSession struct {
	once  sync.Once
	token string
	err   error
}

// staffSession returns a staff session of shop.DemoStaffID at the demo
// desk of the server of rawURL, logging in on first use.
func staffSession(t testing.TB, hc *http.Client, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	base := u.Scheme + "://" + u.Host
	v, _ := sessions.LoadOrStore(base, &baseSession{})
	s := v.(*baseSession)
	s.once.Do(func() { s.token, s.err = openStaffSession(hc, base) })
	if s.err != nil {
		t.Fatalf("open a staff session: %v", s.err)
	}
	return s.token
}

func openStaffSession(hc *http.Client, base string) (string, error) {
	b, _ := json.Marshal(shop.SessionRequest{StaffID: shop.DemoStaffID, PIN: shop.DemoStaffPIN})
	req, _ := http.NewRequest("POST", base+shop.APIPrefix+"/staff/sessions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+shop.DemoDeskToken)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var res shop.SessionResult
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&res) != nil {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return res.Token, nil
}

// stop ends the process with SIGTERM, as a deploy does, and returns how it
// exited.
func (in *instance) stop() error {
	in.cmd.Process.Signal(syscall.SIGTERM)
	<-in.exited
	return in.err
}
