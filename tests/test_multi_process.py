"""Sweeps over several processes joined by jax.distributed give the one-process results.

Each case starts k copies of examples/multi_process.py on 127.0.0.1 (JAX's CPU collectives),
waits for all of them under one deadline, and kills every one that is still running when
the case ends, passed, failed or timed out.
"""

import importlib.util
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from _subprocess import REPO, child_env
SCRIPT = REPO / "examples" / "multi_process.py"
N = 240
DEADLINE_S = 240


def _example():
    spec = importlib.util.spec_from_file_location("multi_process_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(k, local_devices, out, extra_env=None):
    """Run k processes of the example; return [(returncode, output)], killing stragglers."""
    env = child_env(XLA_FLAGS=f"--xla_force_host_platform_device_count={local_devices}",
                    JAX_PLATFORMS="cpu")
    address = f"127.0.0.1:{_free_port()}"
    procs = []
    try:
        for i in range(k):
            env_i = dict(env, **(extra_env(i) if extra_env else {}))
            procs.append(subprocess.Popen(
                [sys.executable, str(SCRIPT), "--coordinator", address, "--num-processes",
                 str(k), "--process-id", str(i), "--n", str(N), "--out", str(out)],
                env=env_i, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True))
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            codes = [p.poll() for p in procs]
            if None not in codes or any(code not in (None, 0) for code in codes):
                break                        # all done, or one failed: the others would hang
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return [(p.wait(), p.stdout.read()) for p in procs]


@pytest.fixture(scope="module")
def one_process():
    """The example's results computed here, in one process with one device."""
    return _example().results(N)


@pytest.mark.parametrize("k, local_devices", [(2, 1), (2, 2), (4, 1)])
def test_processes_give_the_one_process_results(k, local_devices, tmp_path, one_process):
    outcome = launch(k, local_devices, tmp_path)
    for i, (code, text) in enumerate(outcome):
        assert code == 0, f"process {i} exited with {code}:\n{text[-3000:]}"
        assert f"process {i} of {k}: {local_devices} local of {k * local_devices} devices" in text
    example = _example()
    x = example.point(N)
    dense_h = np.asarray(jax.hessian(example.energy)(x))
    for i in range(k):
        got = np.load(tmp_path / f"process{i}.npz")
        np.testing.assert_array_equal(got["colors"], one_process["colors"])
        for name in ("hessian", "diagonal", "jacobian", "plan"):
            np.testing.assert_allclose(got[name], one_process[name], rtol=1e-13, atol=1e-12,
                                       err_msg=f"process {i}, {name}")
    np.testing.assert_allclose(one_process["hessian"], dense_h, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(one_process["diagonal"], np.diag(dense_h), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(one_process["jacobian"], jax.jacfwd(example.residuals)(x),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one_process["plan"],
                               jax.hessian(example.energy)(x + 0.25), rtol=1e-12, atol=1e-10)


def test_a_failing_process_ends_the_run_quickly(tmp_path):
    """Process 1 cannot start (a bad JAX platform): the launch returns well before the
    deadline with every process ended and the failure reported."""
    start = time.monotonic()
    outcome = launch(2, 1, tmp_path,
                     extra_env=lambda i: {"JAX_PLATFORMS": "no_such_platform"} if i else {})
    assert time.monotonic() - start < 60
    assert outcome[1][0] != 0 and "no_such_platform" in outcome[1][1]
    assert all(code is not None for code, _ in outcome)
    assert not list(tmp_path.glob("*.npz"))
