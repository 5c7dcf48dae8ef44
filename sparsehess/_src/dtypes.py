"""dtype tests that know JAX's dtypes beyond NumPy's.

``np.issubdtype(jnp.bfloat16, np.floating)`` is False (bfloat16 and the float8 types come
from ml_dtypes), and PRNG key arrays (``jax.random.key``) have an extended dtype that
NumPy cannot represent at all; ``jnp.issubdtype`` knows both.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np


@functools.lru_cache(maxsize=None)
def canonical(dtype):
    """``np.dtype(dtype)``, or the JAX extended dtype itself (PRNG keys)."""
    if jnp.issubdtype(dtype, jax.dtypes.extended):
        return dtype
    return np.dtype(dtype)


@functools.lru_cache(maxsize=None)
def is_inexact(dtype) -> bool:
    """Floating-point or complex, bfloat16 and float8 included."""
    return bool(jnp.issubdtype(dtype, jnp.inexact))


@functools.lru_cache(maxsize=None)
def is_floating(dtype) -> bool:
    """Real floating point, bfloat16 and float8 included."""
    return bool(jnp.issubdtype(dtype, jnp.floating))


@functools.lru_cache(maxsize=None)
def is_key(dtype) -> bool:
    """A typed PRNG key dtype (``jax.random.key``; not the raw uint32 ``PRNGKey``)."""
    return bool(jnp.issubdtype(dtype, jax.dtypes.prng_key))


def host(value):
    """A concrete value as detection keeps it: a numpy array, or for PRNG keys (which
    numpy cannot hold) the concrete JAX key array itself."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and is_key(dtype):
        return value
    return np.asarray(value)


def host_data(value):
    """A known value as a numpy array, PRNG keys by their key data (for comparisons)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and is_key(dtype):
        return np.asarray(jax.random.key_data(value))
    return np.asarray(value)
