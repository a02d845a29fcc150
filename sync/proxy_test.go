package sync_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	stdsync "sync"
	"testing"
	"time"
)

// fault is what the proxy does to one request.
type fault int

const (
	pass      fault = iota
	slow            // Forward, then hold the answer for the proxy's delay.
	cut             // Forward, send half the answer, cut the connection.
	drop            // Forward (the shop commits), cut the connection before any answer.
	fail500         // Answer 500 without forwarding.
	garbage         // Answer 200 with malformed JSON without forwarding.
	reset           // Cut the connection without forwarding.
	bad400          // Answer 400 invalid without forwarding, as a shop refusing the request.
	locked429       // Answer 429 locked without forwarding, as a shop refusing the desk's address for a while.
	// hold keeps the request until release, then forwards it whether or
	// not the desk still waits, as a TLS terminator does, and reports the
	// shop's status on held.
	hold
)

// faultProxy is a loopback TCP proxy in front of shopd that reads HTTP/1.1
// requests and answers so that it can break exactly the exchange a test
// wants broken, the way a flaky network or a stuck server would.
type faultProxy struct {
	ln     net.Listener
	target string
	delay  time.Duration
	done   chan struct{}

	mu    stdsync.Mutex
	rule  func(r *http.Request) fault
	conns map[net.Conn]bool

	release chan struct{} // Closed to let held requests go on.
	held    chan int      // The shop's status for each held request.

	wg stdsync.WaitGroup
}

func startProxy(tb testing.TB, target string) *faultProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, delay: 3 * time.Second, done: make(chan struct{}), conns: map[net.Conn]bool{},
		release: make(chan struct{}), held: make(chan int, 16)}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *faultProxy) URL() string { return "http://" + p.ln.Addr().String() }

// set installs the rule deciding each request's fault; nil passes everything.
func (p *faultProxy) set(rule func(r *http.Request) fault) {
	p.mu.Lock()
	p.rule = rule
	p.mu.Unlock()
}

// releaseHeld lets the requests held so far go on to the shop, and returns
// a fresh gate for the next ones.
func (p *faultProxy) releaseHeld() {
	p.mu.Lock()
	close(p.release)
	p.release = make(chan struct{})
	p.mu.Unlock()
}

// setDelay sets how long slow holds an answer.
func (p *faultProxy) setDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// firstN applies f to the first n requests matching match, then passes.
func firstN(n int, match func(r *http.Request) bool, f fault) func(*http.Request) fault {
	var mu stdsync.Mutex
	return func(r *http.Request) fault {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 && match(r) {
			n--
			return f
		}
		return pass
	}
}

func always(f fault) func(*http.Request) fault { return func(*http.Request) fault { return f } }

func (p *faultProxy) close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *faultProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c, true)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.track(c, false)
			defer c.Close()
			p.serve(c)
		}()
	}
}

func (p *faultProxy) serve(client net.Conn) {
	br := bufio.NewReader(client)
	var up net.Conn
	var ubr *bufio.Reader
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		p.mu.Lock()
		rule, target, delay, release := p.rule, p.target, p.delay, p.release
		p.mu.Unlock()
		f := pass
		if rule != nil {
			f = rule(req)
		}
		switch f {
		case reset:
			return
		case fail500:
			e := `{"error":{"code":"internal","message":"internal server error: database is locked"}}`
			io.WriteString(client, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(e))+"\r\n\r\n"+e)
			continue
		case bad400:
			e := `{"error":{"code":"invalid","message":"not a PNG image"}}`
			io.WriteString(client, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(e))+"\r\n\r\n"+e)
			continue
		case locked429:
			e := `{"error":{"code":"locked","message":"too many wrong desk tokens from this address; wait 60 s"}}`
			io.WriteString(client, "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(e))+"\r\n\r\n"+e)
			continue
		case garbage:
			g := `{"code":"ABCD","lines":[{"id":`
			io.WriteString(client, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(g))+"\r\n\r\n"+g)
			continue
		case hold:
			select {
			case <-release:
			case <-p.done:
				return
			}
		}
		if up == nil {
			if up, err = net.Dial("tcp", target); err != nil {
				return
			}
			p.track(up, true)
			defer p.track(up, false)
			ubr = bufio.NewReader(up)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		if err := req.Write(up); err != nil {
			return
		}
		resp, err := http.ReadResponse(ubr, req)
		if err != nil {
			return
		}
		var raw bytes.Buffer
		err = resp.Write(&raw)
		resp.Body.Close()
		if err != nil {
			return
		}
		switch f {
		case hold:
			p.held <- resp.StatusCode
			return
		case drop:
			return
		case cut:
			client.Write(raw.Bytes()[:raw.Len()/2])
			return
		case slow:
			select {
			case <-time.After(delay):
			case <-p.done:
				return
			}
		}
		if _, err := client.Write(raw.Bytes()); err != nil {
			return
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
