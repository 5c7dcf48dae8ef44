"""The implementation behind :mod:`sparsehess.bench` (internal; its public names are
re-exported there).

Modules: ``generators`` (the generated pattern families, shared with the tests and
``benchmarks/``), ``suite`` (inputs), ``runner`` (the runs), ``report`` (outputs),
``progress`` (the tqdm bar), ``peers`` (CasADi), ``timing``.
"""
