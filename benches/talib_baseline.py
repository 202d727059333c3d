#!/usr/bin/env python3
"""TA-Lib's batch indicator set over a synthetic series: the yardstick of issue 27.

RSI(14), ATR(14), SMA 50/100/200 of the close, EMA(20), SMA(20) of the volume, computed in
batch over N bars (a mean-reverting log random walk like `backtest --synthetic`'s IWM; TA-Lib's
cost does not depend on the values). Prints the best of R runs in ns per bar.

    python3 benches/talib_baseline.py [N] [R]
"""
import sys
import time

import numpy as np
import talib

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
rng = np.random.default_rng(42)
logp = np.empty(n)
x = np.log(200.0)
for_steps = rng.normal(0.0, 0.001, n)
# Mean reversion towards 200 with a half-life of ~9,000 bars (vectorised as an AR(1) filter).
k = 1.0 - 0.5 ** (1 / 9000)
logp[0] = x
for i in range(1, n):
    logp[i] = logp[i - 1] + k * (np.log(200.0) - logp[i - 1]) + for_steps[i]
close = np.exp(logp)
spread = np.abs(rng.normal(0.0, 0.0008, n)) * close
high = close + spread
low = close - spread
volume = rng.uniform(1e5, 1e6, n)


def full_set():
    talib.RSI(close, 14)
    talib.ATR(high, low, close, 14)
    talib.SMA(close, 50)
    talib.SMA(close, 100)
    talib.SMA(close, 200)
    talib.EMA(close, 20)
    talib.SMA(volume, 20)


best = float("inf")
for _ in range(runs):
    t = time.perf_counter()
    full_set()
    best = min(best, time.perf_counter() - t)
print(f"talib full set: {n} bars, best of {runs}: {best * 1e3:.2f} ms, {best * 1e9 / n:.2f} ns/bar")
