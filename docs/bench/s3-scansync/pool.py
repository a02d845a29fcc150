import sys, math
# Nearest-rank percentiles over every sample in the given files (µs, one a line).
for path in sys.argv[1:]:
    xs = sorted(int(l) for l in open(path) if l.strip())
    n = len(xs)
    q = lambda p: xs[max(0, min(n - 1, math.ceil(p * n) - 1))]
    p99 = "%.1f ms" % (q(0.99) / 1e3) if n >= 1000 else "- (under 1,000)"
    print("%-40s samples %5d  p50 %.2f ms  p90 %.1f ms  p99 %s  max %.1f ms" % (path, n, q(.5) / 1e3, q(.9) / 1e3, p99, xs[-1] / 1e3))
