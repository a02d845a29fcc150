package shop

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"
)

// Probes answers a load balancer's or orchestrator's questions in front of
// the API: GET /healthz says the process serves HTTP at all (restart it if
// not), GET /readyz says it should be sent requests: its database answers
// and it is not draining for a shutdown. Everything else goes to next. The
// probes are outside /api/v1 and need no token: they reveal nothing.
type Probes struct {
	next     http.Handler
	db       interface{ Ping(context.Context) error }
	draining atomic.Bool
}

// NewProbes puts the probes in front of next, checking db for readiness.
func NewProbes(next http.Handler, db interface{ Ping(context.Context) error }) *Probes {
	return &Probes{next: next, db: db}
}

// Drain makes /readyz answer 503 from now on, so that the load balancer
// stops sending new requests before the server shuts down.
func (p *Probes) Drain() { p.draining.Store(true) }

// ServeHTTP implements http.Handler.
func (p *Probes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.next.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		probeAnswer(w, http.StatusOK, "ok", "")
	case "/readyz":
		if p.draining.Load() {
			probeAnswer(w, http.StatusServiceUnavailable, "draining", "shutting down")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := p.db.Ping(ctx); err != nil {
			probeAnswer(w, http.StatusServiceUnavailable, "unavailable", "database: "+err.Error())
			return
		}
		probeAnswer(w, http.StatusOK, "ready", "")
	default:
		p.next.ServeHTTP(w, r)
	}
}

func probeAnswer(w http.ResponseWriter, status int, state, reason string) {
	v := map[string]string{"status": state}
	if reason != "" {
		v["reason"] = reason
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
