#!/usr/bin/env python3
"""Three 1-minute bar files (IWM, TWM, SRTY) with 4-decimal prices for `backtest --input`.

IWM is a mean-reverting log random walk around 200 (half-life ~9,000 bars); TWM and SRTY are
priced off it as 40*(200/IWM)^2 and 60*(200/IWM)^3, like `backtest --synthetic`'s walk. 390 bars
a weekday session from 2010-01-04, UTC stamps. Deterministic (seed 7).

    python3 benches/minute_csv.py N OUT_DIR
"""
import datetime as dt
import sys

import numpy as np

n = int(sys.argv[1])
out = sys.argv[2]
rng = np.random.default_rng(7)
k = 1 - 0.5 ** (1 / 9000)
lp = np.empty(n)
lp[0] = np.log(200)
e = rng.normal(0, 0.001, n)
for i in range(1, n):
    lp[i] = lp[i - 1] + k * (np.log(200) - lp[i - 1]) + e[i]
iwm = np.exp(lp)

times = []
day = dt.date(2010, 1, 4)
while len(times) < n:
    if day.weekday() < 5:
        open_ = dt.datetime(day.year, day.month, day.day, 14, 30)
        for j in range(390):
            times.append((open_ + dt.timedelta(minutes=j)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            if len(times) == n:
                break
    day += dt.timedelta(days=1)

for sym, px in [("IWM", iwm), ("TWM", 40 * (200 / iwm) ** 2), ("SRTY", 60 * (200 / iwm) ** 3)]:
    spread = np.abs(rng.normal(0, 0.0006, n)) * px
    o = px * (1 + rng.normal(0, 0.0002, n))
    h = np.maximum(o, px) + spread
    lo = np.minimum(o, px) - spread
    v = rng.integers(1000, 100000, n)
    with open(f"{out}/{sym}.csv", "w") as f:
        f.write("timestamp,open,high,low,close,volume\n")
        for i in range(n):
            f.write(f"{times[i]},{o[i]:.4f},{h[i]:.4f},{lo[i]:.4f},{px[i]:.4f},{v[i]}\n")
