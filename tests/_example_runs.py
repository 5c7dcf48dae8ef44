"""Examples started in the background when a test module begins, collected by its last test,
so that their run overlaps the module's other tests."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start(name):
    """Popen of ``python examples/NAME`` from the repository root."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, str(REPO / "examples" / name)], cwd=REPO, env=env,
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
