"""Child Python processes for tests: the environment that finds this checkout, and examples
run as a user runs them (in the foreground, or started in the background when a test module
begins and collected by its last test, so that their run overlaps the module's other tests)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child_env(**extra):
    """os.environ with this checkout first on PYTHONPATH (and SPARSEHESS_DEBUG unset), plus
    ``extra``."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("SPARSEHESS_DEBUG", None)
    env.update(extra)
    return env


def _example_command(name):
    return [sys.executable, str(REPO / "examples" / name)]


def run_example(name, timeout=300):
    """CompletedProcess of ``python examples/NAME`` from the repository root."""
    return subprocess.run(_example_command(name), cwd=REPO, env=child_env(),
                          capture_output=True, text=True, timeout=timeout)


def start(name):
    """Popen of ``python examples/NAME`` from the repository root."""
    return subprocess.Popen(_example_command(name), cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=300):
    """stdout of a started example, asserting it exited 0."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{process.args[-1]} failed:\n{out}\n{err}"
    return out


def stop(processes):
    """End the started examples that no test collected (deselected), by their process."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()
