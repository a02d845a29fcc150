#!/usr/bin/env python3
# usage: restscans.py LOG DISPLAY CODE... : after 4 s at rest each, types a code as a
# wedge scanner (xdotool type --delay 4 + Return) and times from the end of the
# xdotool run that sent Return to the desk's "purchase shown" line for it.
import sys, time, subprocess, os, datetime
log, disp, codes = sys.argv[1], sys.argv[2], sys.argv[3:]
env = dict(os.environ, DISPLAY=disp)
res = []
for code in codes:
    time.sleep(4)  # the desk at rest: its loop parked (new) or ticking (old)
    subprocess.run(["xdotool", "type", "--delay", "4", code], env=env, check=True)
    subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
    sent = time.time()
    for _ in range(300):
        lines = [l for l in open(log) if 'msg="purchase shown"' in l and "code=" + code in l]
        if lines:
            ts = lines[0].split()[0][len("time="):]
            shown = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
            res.append((shown - sent) * 1000)
            break
        time.sleep(0.02)
    else:
        res.append(float("nan"))
print("rest-scan ms (Return sent -> purchase shown line):", " ".join("%.0f" % r for r in res), "| median %.0f" % sorted(res)[len(res)//2])
