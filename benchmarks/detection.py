"""Sparsity-detection benchmark: sparsehess.hessian_sparsity vs asdex.hessian_sparsity.

Run ``python benchmarks/detection.py`` (n = 100,000 and n = 1,000,000; several minutes, most
of it asdex) or ``--quick`` (n = 10,000, a shorter scan).  Part 1 times both detectors on the
same functions in one process, their calls interleaved round by round, best of ``--repeat``
rounds (asdex at most ``--peer-repeat``), next to ``jax.make_jaxpr(jax.grad(f))``: the cost
of tracing the gradient, a floor for any jaxpr-walking detector of Hessian patterns.  It also
compares the two patterns.  Part 2 runs our detection alone at n = 1,000,000 in a fresh
subprocess per problem and reports its time and peak memory (``resource.getrusage`` maxrss of
that process: the whole process, JAX included, and the growth over the baseline taken after
imports and building the problem).  asdex (``pip install asdex``, in the ``bench`` extra) is
optional: without it only our columns are filled.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

import _common as C
import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

import sparsehess

PROBLEMS = ("rosenbrock", "grid", "graph", "mlp", "conv", "scan")
LARGE = ("rosenbrock", "grid", "graph", "mlp", "conv")  # part 2 (n = 10^6)
CHAINED = ("rosenbrock",)  # the "chained problems": 5 s and 2 GB targets


def floor(f, x):
    return jax.make_jaxpr(jax.grad(f))(x)  # a fresh grad each call: no trace cache hit


def ours(f, x):
    return sparsehess.hessian_sparsity(f, x)


def peer(f, x):
    return C.asdex.hessian_sparsity(f, x)


def peer_csr(q) -> sp.csr_array:
    return sp.csr_array((np.ones(len(q.rows), bool), (np.asarray(q.rows), np.asarray(q.cols))),
                        shape=q.shape)


def compare_patterns(p: sp.csr_array, q) -> str:
    if q is None:
        return "-"
    qc = peer_csr(q)
    if p.shape != qc.shape:
        return f"shapes differ {p.shape} vs {qc.shape}"
    diff = p != qc
    if diff.nnz == 0:
        return "equal"
    only_ours = (p > qc).nnz
    only_peer = (qc > p).nnz
    return f"differ: {only_ours} only ours, {only_peer} only asdex"


def check_exact(name: str) -> str:
    """Our pattern vs the nonzeros of dense jax.hessian at a random point, at small n
    (a global pattern may only be a superset; "exact" means no extra entry at that point)."""
    if name == "scan":
        f, x0 = C.scan_filter(40, 10)
    else:
        _, f, x0 = C.problem(name, 400)
    x = jnp.asarray(0.2 * np.random.default_rng(1).standard_normal(len(x0)), jnp.float32)
    dense = np.asarray(jax.hessian(f)(x)) != 0
    p = ours(f, x).toarray()
    if (dense & ~p).any():
        return f"WRONG: misses {(dense & ~p).sum()}"
    extra = int((p & ~dense).sum())
    return "exact" if extra == 0 else f"+{extra} of {int(p.sum())}"


def part1(args):
    n = 10_000 if args.quick else 100_000
    steps, state = (200, 50) if args.quick else (1000, 200)
    headers = ["problem", "n", "nnz ours", "nnz asdex", "patterns", "ours vs dense (n≈400)",
               "make_jaxpr(grad)",
               "ours", "ours / make_jaxpr", "asdex", "asdex / ours"]
    rows, summary = [], []
    for name in PROBLEMS:
        if args.only and name not in args.only:
            continue
        if name == "scan":
            f, x0 = C.scan_filter(steps, state)
            label = f"scan {steps} steps × {state} state"
        else:
            label, f, x0 = C.problem(name, n)
        x = jnp.asarray(x0)
        fns = {"floor": lambda: floor(f, x), "ours": lambda: ours(f, x),
               "peer": (lambda: peer(f, x)) if C.asdex is not None else None}
        best, res = C.interleaved(fns, args.repeat, max_calls={"peer": args.peer_repeat})
        p, q = res["ours"], res.get("peer")
        r = C.ratio(best["peer"], best["ours"])
        rows.append([label, f"{x.size:,}", f"{p.nnz:,}", "-" if q is None else f"{q.nnz:,}",
                     compare_patterns(p, q), check_exact(name), C.fmt_time(best["floor"]), C.fmt_time(best["ours"]),
                     C.fmt_ratio(C.ratio(best["ours"], best["floor"])),
                     C.fmt_time(best["peer"]), C.fmt_ratio(r)])
        summary.append((label, r))
        print(f"  measured {label}: ours {C.fmt_time(best['ours'])}, asdex "
              f"{C.fmt_time(best['peer'])}", flush=True)
    print()
    print(f"### Detection of Hessian patterns, n ≈ {n:,} (best of {args.repeat} rounds, asdex "
          f"of at most {args.peer_repeat}; interleaved in one process)\n")
    print(C.markdown_table(headers, rows))
    if C.asdex is not None:
        met = [lab for lab, r in summary if r is not None and r >= 10]
        print(f"\ntarget ≥ 10× faster than asdex: met on {len(met)} of {len(summary)}"
              + "".join(f"; missed on {lab} ({C.fmt_ratio(r)})" for lab, r in summary
                        if r is None or r < 10))


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the process's RSS high-water mark (Linux ≥ 4.0: VmHWM), True when it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def child(name: str, n: int, repeat: int):
    """Part 2 worker (fresh process): peak memory and time of our detection alone.

    The peak is the RSS high-water mark (VmHWM) reset just before the call, so it is the
    whole process's peak during detection; the growth is that peak minus the RSS just
    before.  Where the reset is unavailable, getrusage's maxrss (peak since start) is used."""
    label, f, x0 = C.problem(name, n)
    x = jax.block_until_ready(jnp.asarray(x0))
    C.gc.collect()
    hwm = _reset_peak() and _status_kib("VmHWM") is not None
    base = _status_kib("VmRSS") if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    p, first = C.timed(ours, f, x)
    peak = _status_kib("VmHWM") if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    nnz = p.nnz
    del p
    best, _ = C.interleaved({"floor": lambda: floor(f, x), "ours": lambda: ours(f, x)}, repeat)
    print(json.dumps({"label": label, "n": int(x.size), "nnz": nnz, "first": first,
                      "best": best["ours"], "floor": best["floor"], "base_kib": base,
                      "peak_kib": peak, "how": "VmHWM" if hwm else "ru_maxrss"}))


def part2(args):
    n = 100_000 if args.quick else 1_000_000
    headers = ["problem", "n", "nnz", "first call", f"best of {args.repeat}", "make_jaxpr(grad)",
               "ours / make_jaxpr", "peak RSS", "RSS growth", "targets (chained: ≤ 5 s, ≤ 2 GB)"]
    rows, d = [], {}
    for name in LARGE:
        if args.only and name not in args.only:
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name, str(n),
               "--repeat", str(args.repeat)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append([name, f"{n:,}", "failed: " + proc.stderr.strip().splitlines()[-1]]
                        + [""] * 7)
            continue
        d = json.loads(proc.stdout.strip().splitlines()[-1])
        peak_gb, growth_gb = d["peak_kib"] / 2**20, (d["peak_kib"] - d["base_kib"]) / 2**20
        target = "-"
        if name in CHAINED:
            ok = max(d["first"], d["best"]) <= 5 and peak_gb <= 2
            target = "met" if ok else "MISSED"
        rows.append([d["label"], f"{d['n']:,}", f"{d['nnz']:,}", C.fmt_time(d["first"]), C.fmt_time(d["best"]),
                     C.fmt_time(d["floor"]), C.fmt_ratio(C.ratio(d["best"], d["floor"])),
                     f"{peak_gb:.2f} GiB", f"{growth_gb:.2f} GiB", target])
        print(f"  measured {d['label']} at n = {d['n']:,}", flush=True)
    print()
    how = "the RSS high-water mark (VmHWM) reset just before the call" if d.get("how") == \
        "VmHWM" else "getrusage maxrss since process start"
    print(f"### Our detection at n ≈ {n:,}, one fresh process per problem; \"first call\" "
          f"is the first detection in that process. Peak RSS = {how}, whole process with "
          "JAX; growth = peak − RSS just before the call\n")
    print(C.markdown_table(headers, rows))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 10^4 / 10^5, a shorter scan")
    ap.add_argument("--repeat", type=int, default=None, help="rounds for our timings")
    ap.add_argument("--peer-repeat", type=int, default=None, help="at most this many asdex calls")
    ap.add_argument("--only", nargs="*", choices=PROBLEMS, help="a subset of the problems")
    ap.add_argument("--skip-large", action="store_true", help="skip part 2 (n = 10^6)")
    ap.add_argument("--child", nargs=2, metavar=("PROBLEM", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 5
    if args.peer_repeat is None:
        args.peer_repeat = 1 if args.quick else 2
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeat)
        return
    print(f"{C.machine_note()}; {C.peer_version()}")
    part1(args)
    if not args.skip_large:
        print()
        part2(args)


if __name__ == "__main__":
    main()
