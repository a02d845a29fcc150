package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	rpprof "runtime/pprof"
	"time"
)

// Profiling a desk where it runs, opt in by environment (no flag: the
// desk's usage stays what staff and installers need):
//
//   - SKRANKE_PPROF=127.0.0.1:6060 serves Go's net/http/pprof on that
//     address, loopback only (CPU profile: /debug/pprof/profile?seconds=60;
//     execution trace, which shows every wake-up of an idle desk:
//     /debug/pprof/trace?seconds=60);
//   - SKRANKE_CPUPROFILE=/path/cpu.pprof writes a CPU profile of the whole
//     run, from the start to a clean stop (SIGINT, SIGTERM, window closed).
//
// Neither is set on a desk at work; docs/benchmarks.md ("Desk idle, fifth
// session") shows how the idle figures were taken with them.

// startProfiling starts what the environment (getenv) asks for and returns
// the func that stops it, which writes out a CPU profile.
func startProfiling(ctx context.Context, getenv func(string) string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if addr := getenv("SKRANKE_PPROF"); addr != "" {
		ln, err := listenLoopback(ctx, addr)
		if err != nil {
			return stop, fmt.Errorf("SKRANKE_PPROF: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Warn("pprof server stopped", "err", err)
			}
		}()
		slog.Info("serving pprof (SKRANKE_PPROF)", "addr", ln.Addr().String())
		stops = append(stops, func() { _ = srv.Close() })
	}
	if path := getenv("SKRANKE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return stop, fmt.Errorf("SKRANKE_CPUPROFILE: %w", err)
		}
		if err := rpprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, fmt.Errorf("SKRANKE_CPUPROFILE: %w", err)
		}
		slog.Info("writing a CPU profile (SKRANKE_CPUPROFILE)", "path", path)
		stops = append(stops, func() {
			rpprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				slog.Warn("write the CPU profile", "path", path, "err", err)
			}
		})
	}
	return stop, nil
}

// listenLoopback listens on addr, which must be a loopback address: the
// profiles show what the desk holds in memory.
func listenLoopback(ctx context.Context, addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s is not a loopback address (such as 127.0.0.1:6060)", addr)
	}
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}
