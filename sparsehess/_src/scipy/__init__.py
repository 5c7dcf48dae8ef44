"""The implementation behind :mod:`sparsehess.scipy` (internal; its public names are
re-exported there).

Modules: ``methods`` (which derivatives each method takes, dense-memory limits),
``objective`` (Objective), ``constraints`` (NonlinearConstraint, Residual, conversion of
SciPy constraints), ``solve`` (minimize, least_squares), ``evaluation`` (the flat float64
view shared by them) and ``compiled`` (compiled evaluators shared per user function).
"""

from ...errors import DenseHessianError
from .constraints import NonlinearConstraint, Residual
from .methods import check_dense_memory, method_derivatives
from .objective import Objective
from .solve import least_squares, minimize

__all__ = [
    "DenseHessianError",
    "NonlinearConstraint",
    "Objective",
    "Residual",
    "check_dense_memory",
    "least_squares",
    "method_derivatives",
    "minimize",
]
