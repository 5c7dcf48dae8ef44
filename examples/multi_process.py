"""Sparse Hessians with the color sweeps spread over several processes.

Every process runs this same script; JAX's distributed runtime joins them, and the sweeps
of each Hessian / Jacobian are sharded over all devices of all processes.  Every process
gets the whole result.  On one machine, two processes:

    for i in 0 1; do
        python examples/multi_process.py --coordinator 127.0.0.1:12355 \\
            --num-processes 2 --process-id $i &
    done; wait

On a cluster, start one process per host (or per GPU) the same way, with the coordinator
on the first host; under SLURM or another launcher that jax.distributed.initialize()
recognises, the flags may be left out.  With --out DIR each process also saves its results
to DIR/process<i>.npz (tests/test_multi_process.py compares them with one process).
"""

import argparse
import os
import sys
import traceback
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np


def energy(x):
    """Chained Rosenbrock plus a long-range coupling every third element: (n,) -> ()."""
    chain = jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return chain + jnp.sum(jnp.sin(x[::3]) * x[1::3] ** 2)


def residuals(x):
    """Neighbour products and one dense row: (n,) -> (n,)."""
    return jnp.concatenate([x[1:] * x[:-1], jnp.sum(x ** 2, keepdims=True)])


def point(n):
    return jnp.linspace(-1.0, 1.5, n)


def results(n):
    """The four results every process computes: Hessian, its diagonal, a Jacobian, a plan."""
    import sparsehess

    x = point(n)
    plan = sparsehess.prepare_hessian(energy, x)
    return {
        "hessian": np.asarray(sparsehess.hessian(energy)(x).todense()),
        "diagonal": np.asarray(sparsehess.hessian_diagonal(energy)(x)),
        "jacobian": np.asarray(sparsehess.jacobian(residuals)(x).todense()),
        "plan": np.asarray(plan(x + 0.25).todense()),
        "colors": np.asarray(plan.coloring.colors),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coordinator", help="host:port of process 0 (omit under a launcher "
                    "that jax.distributed.initialize() detects)")
    ap.add_argument("--num-processes", type=int)
    ap.add_argument("--process-id", type=int)
    ap.add_argument("--n", type=int, default=600, help="problem size (default 600)")
    ap.add_argument("--out", type=Path, help="folder for process<i>.npz")
    args = ap.parse_args()

    jax.config.update("jax_enable_x64", True)
    jax.distributed.initialize(coordinator_address=args.coordinator,
                               num_processes=args.num_processes, process_id=args.process_id)
    out = results(args.n)
    me = jax.process_index()
    print(f"process {me} of {jax.process_count()}: {jax.local_device_count()} local of "
          f"{jax.device_count()} devices; Hessian nnz {np.count_nonzero(out['hessian'])}, "
          f"{out['colors'].max() + 1} colors, |H| sum {np.abs(out['hessian']).sum():.6f}",
          flush=True)
    if args.out is not None:
        np.savez(args.out / f"process{me}.npz", **out)
    jax.distributed.shutdown()


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        # Exit at once: a normal exit would wait on the others in jax.distributed's shutdown
        # for minutes, and the launcher (or cluster scheduler) could not end the run.
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
