"""The command line through real subprocesses: ``python -m sparsehess color|bench|demo``."""

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from _subprocess import REPO, child_env
from sparsehess import bench
from sparsehess.coloring import check_coloring

SUITESPARSE = REPO.parent / "shared" / "matrices" / "suitesparse"


def run_cli(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "sparsehess", *map(str, args)], cwd=REPO,
                          env=child_env(), capture_output=True, text=True, timeout=timeout)


def assert_clean_error(proc, *fragments):
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert err.count("\n") == 0, f"expected one line on stderr, got:\n{proc.stderr}"
    assert err.startswith("sparsehess")
    for frag in fragments:
        assert frag in err, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    mesh = bench.generate("mesh2d", 100).astype(float)               # 10 x 10 grid, symmetric
    scipy.io.mmwrite(d / "mesh.mtx", mesh, symmetry="symmetric")
    with open(d / "mesh.mtx", "rb") as src, gzip.open(d / "mesh.mtx.gz", "wb") as dst:
        dst.write(src.read())
    rng = np.random.default_rng(1)
    rect = sp.random_array((30, 20), density=0.15, random_state=rng, format="csr")
    rect = rect + sp.csr_array((np.ones(20), (np.arange(20), np.arange(20))), shape=(30, 20))
    sp.save_npz(d / "rect.npz", sp.csr_matrix(rect))
    (d / "not_mm.mtx").write_text("this is not a matrix\n1 2 3\n")
    full = (d / "mesh.mtx").read_text()
    (d / "truncated.mtx").write_text(full[: len(full) // 2])
    (d / "truncated.mtx.gz").write_bytes((d / "mesh.mtx.gz").read_bytes()[:200])
    (d / "pattern.txt").write_text("%%MatrixMarket matrix coordinate real general\n")
    return d


# ------------------------------------------------------------------------------------ color
def test_color_text(files):
    proc = run_cli("color", files / "mesh.mtx.gz")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "100 x 100" in out and "nnz         460" in out
    assert "method      star" in out          # auto: symmetric pattern -> star
    assert "lower bound" in out and "instead of 100 dense" in out
    assert "verified    yes" in out
    assert " s coloring" in out or "ms coloring" in out or "µs coloring" in out


def test_color_json_and_seeds(files, tmp_path):
    seeds = tmp_path / "out" / "seeds.npz"
    proc = run_cli("color", files / "mesh.mtx", "--method", "acyclic", "--order", "best",
                   "--json", "--seeds", seeds)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["rows"] == info["cols"] == 100 and info["nnz"] == 460
    assert info["method"] == "acyclic" and info["order"] == "best"
    assert info["verified"] is True
    assert info["lower_bound"] <= info["colors"] <= 6
    assert info["dense_passes"] == 100 and info["time_s"] >= 0
    with np.load(seeds) as z:
        assert str(z["method"]) == "acyclic"
        assert str(z["chosen_order"]) == info["chosen_order"]
        assert int(z["ncolors"]) == info["colors"]
        assert tuple(z["shape"]) == (100, 100)
        colors = z["colors"]
    assert colors.shape == (100,) and colors.max() + 1 == info["colors"]
    pattern = scipy.io.mmread(files / "mesh.mtx")
    assert check_coloring(pattern, colors, "acyclic")


def test_color_rectangular_npz_bicoloring(files, tmp_path):
    seeds = tmp_path / "bi.npz"
    proc = run_cli("color", files / "rect.npz", "--method", "bicoloring", "--json",
                   "--seeds", seeds)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert (info["rows"], info["cols"]) == (30, 20)
    assert info["colors"] == info["row_colors"] + info["column_colors"]
    assert info["verified"] is True
    pattern = sp.load_npz(files / "rect.npz")
    with np.load(seeds) as z:
        assert z["row_colors"].shape == (30,) and z["column_colors"].shape == (20,)
        assert check_coloring(pattern, (z["row_colors"], z["column_colors"]), "bicoloring")


@pytest.mark.parametrize("name, fragments", [
    ("missing.mtx", ["no such pattern file", "missing.mtx"]),
    ("not_mm.mtx", ["not a Matrix Market file", "not_mm.mtx"]),
    ("truncated.mtx.gz", ["truncated.mtx.gz"]),
])
def test_color_bad_files(files, name, fragments):
    assert_clean_error(run_cli("color", files / name), *fragments)


# The same entry point in-process (cheaper than a Python start-up per case).
def in_process(capsys, *args):
    from sparsehess.cli import main

    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:              # argparse usage errors and --help
        rc = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out, err)


@pytest.mark.parametrize("name, fragments", [
    ("truncated.mtx", ["malformed or truncated", "truncated.mtx"]),
    ("pattern.txt", ["unknown extension", "pattern.txt"]),
])
def test_color_more_bad_files_in_process(files, capsys, name, fragments):
    assert_clean_error(in_process(capsys, "color", files / name), *fragments)


def test_color_usage_errors(files, capsys):
    proc = in_process(capsys, "color", files / "rect.npz", "--method", "star")
    assert_clean_error(proc, "needs a square pattern")
    assert proc.returncode == 2
    proc = in_process(capsys, "color", files / "mesh.mtx", "--order", "sideways")
    assert_clean_error(proc, "invalid choice", "sideways")
    assert proc.returncode == 2
    proc = in_process(capsys, "color", files / "mesh.mtx", "--seeds", "out.txt")
    assert_clean_error(proc, "must end in .npz")
    proc = in_process(capsys, "bench", "--methods", "star,diagonal")
    assert_clean_error(proc, "unknown method 'diagonal'")
    proc = in_process(capsys, "bench", "--sizes", "ten")
    assert_clean_error(proc, "comma-separated integers")


def test_color_rectangular_auto_is_column(files, capsys):
    proc = in_process(capsys, "color", files / "rect.npz", "--json", "--no-verify")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["method"] == "column" and info["verified"] is None
    assert info["lower_bound"] <= info["colors"] <= 20


# ------------------------------------------------------------------------------------ bench
def _png_ok(path):
    data = Path(path).read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_builtin_subset(tmp_path):
    out = tmp_path / "bench"
    proc = run_cli("bench", "--sizes", "150", "--problems", "banded,mesh2d,arrowhead",
                   "--methods", "column,star,bicoloring", "--orders", "natural,largest_first",
                   "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "[" in proc.stderr and "18/18" in proc.stderr          # the progress bar
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 3 * 3 * 2
    assert {r["matrix"] for r in rows} == {"banded-150", "mesh2d-150", "arrowhead-150"}
    assert all(r["verified"] == "True" for r in rows)
    star_arrow = [r for r in rows if r["matrix"] == "arrowhead-150" and r["method"] == "star"]
    assert all(int(r["colors"]) == 2 for r in star_arrow)     # dense row + diagonal
    col_arrow = [r for r in rows if r["matrix"] == "arrowhead-150" and r["method"] == "column"]
    assert all(int(r["colors"]) == 150 for r in col_arrow)     # a dense row: no compression
    data = json.loads((out / "results.json").read_text())
    assert len(data) == 18 and data[0]["tool"] == "sparsehess"
    md = (out / "summary.md").read_text()
    assert "| arrowhead-150 | 150 × 150 |" in md and "### Colors by order" in md
    assert "| arrowhead-150 |" in proc.stdout                    # table echoed on stdout
    assert _png_ok(out / "colors.png") and _png_ok(out / "time_vs_nnz.png")


def test_bench_folder_with_a_bad_file(files, tmp_path):
    folder = tmp_path / "mats"
    folder.mkdir()
    for name in ("mesh.mtx", "rect.npz", "truncated.mtx"):
        (folder / name).write_bytes((files / name).read_bytes())
    out = tmp_path / "bench"
    proc = run_cli("bench", folder, "--methods", "column,star", "--orders", "natural",
                   "--out", out, "--no-plots", "--quiet")
    assert proc.returncode == 1                                   # one file was unreadable
    assert "Traceback" not in proc.stderr
    assert "skipped truncated: " in proc.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    by = {(r["matrix"], r["method"]): r for r in rows}
    assert by[("mesh", "star")]["verified"] == "True"
    assert "square" in by[("rect", "star")]["error"]              # star on 30 x 20: skipped
    assert by[("rect", "column")]["verified"] == "True"
    assert by[("truncated", "")]["error"]
    assert not (out / "colors.png").exists()


def test_bench_missing_path(tmp_path, capsys):
    assert_clean_error(in_process(capsys, "bench", tmp_path / "nope.mtx", "--out", tmp_path),
                       "no such file or folder")


@pytest.mark.skipif(not SUITESPARSE.is_dir(), reason="../shared/matrices/suitesparse absent")
def test_bench_suitesparse(tmp_path):
    names = ["494_bus.mtx.gz", "bfwa62.mtx.gz"]
    paths = [SUITESPARSE / n for n in names]
    if not all(p.is_file() for p in paths):
        pytest.skip("the two small SuiteSparse matrices are not in ../shared")
    out = tmp_path / "ss"
    proc = run_cli("bench", *paths, "--methods", "column,row,star,acyclic",
                   "--orders", "natural,largest_first,smallest_last", "--out", out)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 2 * 4 * 3
    assert {r["matrix"] for r in rows} == {"494_bus", "bfwa62"}
    assert all(r["verified"] == "True" for r in rows)
    bus = [r for r in rows if r["matrix"] == "494_bus"]
    assert all(r["rows"] == "494" and r["nnz"] == "1666" for r in bus)
    assert all(int(r["lower_bound"]) <= int(r["colors"]) for r in rows)
    assert "| 494_bus | 494 × 494 | 1666 |" in (out / "summary.md").read_text()


def test_bench_vs_casadi(tmp_path):
    pytest.importorskip("casadi")
    out = tmp_path / "cas"
    proc = run_cli("bench", "--sizes", "200", "--problems", "mesh2d,random",
                   "--methods", "column,star", "--orders", "natural,largest_first",
                   "--vs", "casadi", "--out", out, "--no-plots")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(open(out / "results.csv")))
    cas = [r for r in rows if r["tool"] == "casadi"]
    assert {(r["method"], r["order"]) for r in cas} == {("column", "natural"),
                                                        ("star", "largest_first")}
    assert all(r["verified"] == "True" and int(r["colors"]) > 0 for r in cas)
    assert "sparsehess vs CasADi" in (out / "summary.md").read_text()


# ------------------------------------------------------------------------------------- demo
def test_help_lists_commands():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for cmd in ("color", "bench", "demo"):
        assert cmd in proc.stdout


def test_demo_subcommand_dispatches(monkeypatch, capsys):
    # the demo itself is `make demo`; here: the subcommand reaches sparsehess.demo.run(n)
    import sparsehess.demo

    calls = []
    monkeypatch.setattr(sparsehess.demo, "run", lambda n: calls.append(n))
    assert in_process(capsys, "demo", "-n", "1234").returncode == 0
    assert calls == [1234]
    assert in_process(capsys, "demo").returncode == 0
    assert calls == [1234, 100_000]
