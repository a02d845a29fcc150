#!/usr/bin/env python3
"""series.py PID STEP N: CPU ticks of PID in each of N windows of STEP seconds (since process start offset printed)."""
import os, sys, time
pid, step, n = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
hz = os.sysconf('SC_CLK_TCK')
def ticks():
    s = open(f"/proc/{pid}/stat").read(); f = s[s.rindex(')')+2:].split()
    return int(f[11]) + int(f[12]), int(f[19])
boot = float(open('/proc/uptime').read().split()[0])
c, start = ticks()
age = boot - start / hz
tot = 0
for i in range(n):
    time.sleep(step)
    c2, _ = ticks()
    print(f"{age + (i+1)*step:6.1f}s  {c2-c:4d} ticks  {(c2-c)/step:.2f} %", flush=True)
    tot += c2 - c; c = c2
print(f"total {tot} ticks over {n*step:.0f}s = {tot/(n*step):.2f} %  load {open('/proc/loadavg').read().split()[:3]}")
