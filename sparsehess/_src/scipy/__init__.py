"""The implementation behind :mod:`sparsehess.scipy` (internal; its public names are
re-exported there).

Modules: ``methods`` (which derivatives each method takes, dense-memory limits),
``objective`` (Objective), ``constraints`` (NonlinearConstraint, Residual, conversion of
SciPy constraints), ``solve`` (minimize, least_squares), ``evaluation`` (the flat float64
view shared by them) and ``compiled`` (compiled evaluators shared per user function).
"""
