"""The implementation behind :mod:`sparsehess.bench` (internal; its public names are
re-exported there).

Modules: :mod:`~sparsehess._src.bench.generators` (the generated pattern families, shared with the
tests and ``benchmarks/``), :mod:`~sparsehess._src.bench.suite` (inputs), :mod:`~sparsehess._src.bench.runner`
(the runs), :mod:`~sparsehess._src.bench.report` (outputs), :mod:`~sparsehess._src.bench.progress`
(the tqdm bar), :mod:`~sparsehess._src.bench.peers` (CasADi), :mod:`~sparsehess._src.bench.timing`.
"""
