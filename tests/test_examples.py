"""The examples the README shows run and print the expected numbers.

Each example runs in its own Python process (as a user would run it); the processes start
together, a few at a time, and each test waits for its own.
"""

import concurrent.futures
import os
import re

import pytest

import _subprocess


NAMES = ("hessian_of_gradient.py", "hessian_vector_product.py", "network_hessian_diagonal.py",
         "per_sample_hessians.py", "scipy_optimize.py", "bench_matrix_market.py")


_pool = None
_futures = {}


def run_example(name):
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        for n in NAMES:
            _futures[n] = _pool.submit(_subprocess.run_example, n)
        _pool.shutdown(wait=False)
    proc = _futures[name].result() if name in _futures else _run(name)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def number(pattern, text, cast=float):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in output:\n{text}"
    return cast(m.group(1))


def passes(text, dense, label=""):
    """The passes an example reports against the dense count it prints."""
    return number(label + r"passes: (\d+)[^\n]*\(dense: " + str(dense) + r"\)", text, int)


def test_hessian_of_gradient():
    out = run_example("hessian_of_gradient.py")
    assert "jax.grad(jax.grad(f)) fails: Gradient only defined for scalar-output" in out
    assert "nnz = 898 (tridiagonal: 898)" in out
    assert number(r"max \|H_sparse - H_dense\| = (\S+)", out) < 1e-9
    assert passes(out, 300) in (2, 3)            # acyclic: 2, star: 3 for a chain


def test_hessian_vector_product():
    out = run_example("hessian_vector_product.py")
    assert "n = 10000, Hessian nnz = 49600" in out
    assert number(r"max \|hvp - H @ v\| += (\S+)", out) < 1e-10
    assert number(r"max \|hvp - jvp\(grad\)\| += (\S+)", out) < 1e-10
    assert number(r"residual (\S+)", out) < 1e-6
    assert "passes: 1 per product" in out and "dense H: 10000)" in out
    assert 3 <= number(r"forming sparse H: (\d+)", out, int) <= 6


def test_network_hessian_diagonal():
    out = run_example("network_hessian_diagonal.py")
    assert "diagonals shape (512, 512)" in out
    assert "nonzero second derivatives per output: 5.0" in out
    assert "against jax.hessian: equal" in out
    assert passes(out, 512) == 5                 # receptive field 5: 5 Jacobian colors


def test_per_sample_hessians():
    out = run_example("per_sample_hessians.py")
    assert "block-diagonal Hessian (512, 512), nnz = 2048" in out
    assert number(r"max \|blocks - vmap\(hessian\)\| = (\S+)", out) < 1e-10
    assert passes(out, 512, "summed loss: ") == 4          # D colors
    assert "Hessians (128, 512, 512), sample 5 block matches: True" in out
    assert passes(out, 512, "vector losses: ") == 10       # D (D + 1) / 2 pairs


def test_scipy_optimize():
    out = run_example("scipy_optimize.py")
    assert "Hessian 10000 x 10000 with 49600 nonzeros" in out
    assert number(r"\|gradient\| = (\S+)", out) < 1e-5
    assert number(r"by hand:  f = (\S+)", out) == pytest.approx(
        number(r"minimize: f = (\S+)", out), rel=1e-9)
    assert "same minimum: True" in out
    assert 3 <= passes(out, 10000) <= 6


def test_bench_matrix_market():
    out = run_example("bench_matrix_market.py")
    assert "mesh2d.mtx: n = 900, nnz = 4380" in out
    colors = {m: passes(out, 900, m + ": ") for m in ("column", "star", "acyclic", "distance1")}
    assert colors["distance1"] == 2                        # a grid is bipartite
    assert 3 <= colors["acyclic"] <= colors["star"] <= colors["column"] <= 8
    assert out.count("verified True") == 4
    assert "| mesh2d | 900 × 900 | 4380 |" in out
