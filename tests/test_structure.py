"""Rules of CONTRIBUTING.md that a machine can check: where exception classes live, and no
`assert` in library code."""

import ast
import pathlib


PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "sparsehess"


def _modules():
    """{dotted module name: path} of every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def test_every_exception_class_lives_in_errors():
    outside = []
    for name, path in _modules().items():
        if name == "sparsehess.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and b.id.endswith(("Error", "Warning", "Exception"))
                    for b in node.bases):
                outside.append(f"{name}.{node.name}")
    assert outside == []


def test_library_code_raises_named_errors_instead_of_assert():
    asserts = [f"{name}:{node.lineno}" for name, path in _modules().items()
               for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert asserts == []


def test_errors_raised_by_submodules_are_the_classes_of_errors():
    import sparsehess.scipy
    from sparsehess import cli, errors

    assert sparsehess.scipy.DenseHessianError is errors.DenseHessianError
    assert cli.UsageError is errors.UsageError
    assert "DenseHessianError" in sparsehess.scipy.__all__


def _imported_modules(name, path, modules):
    """Modules of the package that module ``name`` imports anywhere (functions included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def test_no_import_cycle_among_modules():
    import networkx as nx

    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imported_modules(name, path, modules)
                             if not name.startswith(target + "."))   # a package's own parents
    cycles = sorted(sorted(c) for c in nx.simple_cycles(graph))
    assert cycles == []


MAX_MODULE_LINES = 500


def test_no_module_is_over_the_size_limit():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_public_facades_only_re_export_internal_names():
    """sparsehess.coloring / .scipy / .bench hold no code: a docstring, imports from
    sparsehess._src (or errors) and __all__, every name of which resolves."""
    import importlib

    for name in ("coloring", "scipy", "bench"):
        public = importlib.import_module(f"sparsehess.{name}")
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        kinds = {type(node) for node in tree.body}
        assert kinds <= {ast.Expr, ast.ImportFrom, ast.Assign}
        sources = {node.module.split(".")[0] for node in tree.body
                   if isinstance(node, ast.ImportFrom)}
        assert sources <= {"_src", "errors"}
        assert all(hasattr(public, n) for n in public.__all__) and len(public.__all__) > 5
