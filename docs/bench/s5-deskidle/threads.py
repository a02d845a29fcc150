#!/usr/bin/env python3
"""threads.py PID SECONDS: CPU ticks (user+sys, 1/100 s) and context switches
per thread of PID over SECONDS, grouped by thread name, plus the process total
from /proc/PID/stat, and page faults."""
import os, sys, time
pid, secs = int(sys.argv[1]), float(sys.argv[2])
def snap():
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            s = open(f"/proc/{pid}/task/{tid}/stat").read()
            st = open(f"/proc/{pid}/task/{tid}/status").read()
        except OSError:
            continue
        comm = s[s.index('(')+1:s.rindex(')')]
        f = s[s.rindex(')')+2:].split()
        vol = int([l for l in st.splitlines() if l.startswith('voluntary_ctxt_switches')][0].split()[1])
        inv = int([l for l in st.splitlines() if l.startswith('nonvoluntary_ctxt_switches')][0].split()[1])
        out[tid] = (comm, int(f[11]), int(f[12]), vol, inv, int(f[7]), int(f[9]))
    s = open(f"/proc/{pid}/stat").read()
    f = s[s.rindex(')')+2:].split()
    return out, (int(f[11]), int(f[12]), int(f[7]), int(f[9]))
a, pa = snap(); t0 = time.time()
la0 = open('/proc/loadavg').read().split()[:3]
time.sleep(secs)
b, pb = snap(); t1 = time.time()
dt = t1 - t0
groups = {}
for tid, v in b.items():
    u0 = a.get(tid, (v[0], 0, 0, 0, 0, 0, 0))
    g = groups.setdefault(v[0], [0, 0, 0, 0, 0, 0, 0])
    g[0] += v[1]-u0[1]; g[1] += v[2]-u0[2]; g[2] += v[3]-u0[3]; g[3] += v[4]-u0[4]; g[4] += 1
    g[5] += v[5]-u0[5]; g[6] += v[6]-u0[6]
tot = (pb[0]-pa[0]) + (pb[1]-pa[1])
print(f"pid {pid} over {dt:.1f}s: {tot} ticks = {tot/dt:.2f} % of a core (user {pb[0]-pa[0]}, sys {pb[1]-pa[1]}), minflt {pb[2]-pa[2]}, majflt {pb[3]-pa[3]}; load {' '.join(la0)} -> {' '.join(open('/proc/loadavg').read().split()[:3])}")
for name, g in sorted(groups.items(), key=lambda x: -(x[1][0]+x[1][1])):
    print(f"  {name:16s} threads {g[4]:3d} user {g[0]:5d} sys {g[1]:5d} vol-cs/s {g[2]/dt:8.1f} invol-cs/s {g[3]/dt:6.1f} minflt {g[5]}")
