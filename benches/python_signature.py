"""Side-by-side signature speed, in one Python process: deepsig against iisignature and
pysiglib (each timed only when importable), on BENCHMARKS.md's anchor shapes.

    python benches/python_signature.py [--repeats 10] [--threads 1]

Prints a Markdown table of the minimum and median of `--repeats` calls per library, f64,
and the ratio to deepsig; plus the Python wrapper's overhead: `deepsig.signature` against
the extension's own `_core.signature` on the same buffer. pysiglib pulls torch (4.5 GB), so
CI does not install it: run this by hand where it is.
"""

import argparse
import platform
import statistics
import time

import numpy as np

import deepsig
from deepsig import _core

SHAPES = [(32, 1000, 13, 3), (32, 100, 31, 3), (32, 1000, 7, 4), (32, 100, 13, 4)]


def timed(f, repeats):
    f()  # warm-up: page in the output, build plans
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    libraries = {}
    try:
        import iisignature

        libraries["iisignature"] = (iisignature.__dict__.get("version", lambda: "?")(),
                                    lambda x, n: iisignature.sig(x, n))
    except ImportError:
        pass
    try:
        import pysiglib

        libraries["pysiglib"] = (getattr(pysiglib, "__version__", "?"),
                                 lambda x, n: pysiglib.sig(x, n, n_jobs=args.threads))
    except ImportError:
        pass
    print(f"python {platform.python_version()}, numpy {np.__version__}, deepsig "
          f"{deepsig.__version__}, " + ", ".join(f"{k} {v[0]}" for k, v in libraries.items())
          + f"; f64, {args.threads} thread(s), min / median of {args.repeats} calls (ms)")
    header = ["B, L, d, N", "deepsig", "deepsig _core", "wrapper overhead"]
    for name in libraries:
        header += [name, f"deepsig speed-up vs {name} (min)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rng = np.random.default_rng(0)
    for b, length, d, n in SHAPES:
        x = rng.standard_normal((b, length, d)) * 0.1
        ours = timed(lambda: deepsig.signature(x, n, threads=args.threads), args.repeats)
        core = timed(lambda: _core.signature(x, n, None, False, False, False, False, False,
                                             args.threads), args.repeats)
        row = [f"{b}, {length}, {d}, {n}", f"{ours[0]*1e3:.2f} / {ours[1]*1e3:.2f}",
               f"{core[0]*1e3:.2f} / {core[1]*1e3:.2f}",
               f"{(ours[1] / core[1] - 1) * 100:+.1f} %"]
        for name, (_, f) in libraries.items():
            want = f(x, n)
            got = deepsig.signature(x, n)
            assert np.allclose(np.asarray(want)[..., -got.shape[-1]:], got, rtol=1e-6,
                               atol=1e-9), name
            theirs = timed(lambda: f(x, n), args.repeats)
            row += [f"{theirs[0]*1e3:.2f} / {theirs[1]*1e3:.2f}", f"{theirs[0] / ours[0]:.2f}×"]
        print("| " + " | ".join(row) + " |")
    # The wrapper's fixed cost (checks, batch axis, result array), measured on a path whose
    # arithmetic is nil, against the engine's time at the first (B = 32, L = 1000) shape.
    tiny = np.zeros((1, 2, 1))
    calls = 2000
    t0 = time.perf_counter()
    for _ in range(calls):
        deepsig.signature(tiny, 1, threads=args.threads)
    per_call = (time.perf_counter() - t0) / calls
    t0 = time.perf_counter()
    for _ in range(calls):
        _core.signature(tiny, 1, None, False, False, False, False, False, args.threads)
    per_core_call = (time.perf_counter() - t0) / calls
    x = rng.standard_normal(SHAPES[0][:3]) * 0.1
    engine, _ = timed(lambda: _core.signature(x, SHAPES[0][3], None, False, False, False, False,
                                              False, args.threads), args.repeats)
    print(f"\nfixed cost per call: deepsig.signature {per_call*1e6:.1f} µs, _core.signature "
          f"{per_core_call*1e6:.1f} µs; at B, L, d, N = {SHAPES[0]} the whole call costs "
          f"{per_call / engine * 100:.3f} % of the engine's {engine*1e3:.2f} ms")


if __name__ == "__main__":
    main()
