package shop_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of CPU times in /proc/*/stat.
const clockTicks = 100

// cpuUsed says how much CPU time (user and system) this process has spent
// (the benchmark's desks and its in-process shopd servers) and, when pgPID
// is not 0, the PostgreSQL server of that pid and its child processes
// (one per connection, and the WAL writer).
func cpuUsed(pgPID int) (self, db time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if pgPID == 0 {
		return self, 0
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return self, 0
	}
	root := strconv.Itoa(pgPID)
	var ticks int64
	for _, e := range dir {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces: state,
		// ppid, ... utime (the 14th field of the line), stime (15th).
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 || (e.Name() != root && f[1] != root) {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
		if e.Name() == root && len(f) >= 15 {
			// Children that ended (a connection closed, an autovacuum
			// worker done) and were reaped: their times moved here.
			cu, _ := strconv.ParseInt(f[13], 10, 64)
			cs, _ := strconv.ParseInt(f[14], 10, 64)
			ticks += cu + cs
		}
	}
	return self, time.Duration(ticks) * time.Second / clockTicks
}
