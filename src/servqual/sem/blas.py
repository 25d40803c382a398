"""One BLAS thread for the engine's matrices.

The matrices of a factor model are small (tens to a few hundred rows). OpenBLAS splits products
and factorisations of that size over all its threads, and where the cores are busy with other
work the threads spend their time waiting for each other: on a loaded 2-core machine a
two-group invariance fit took 3 s with two BLAS threads and 0.03 s with one. The engine's entry
points therefore run with one BLAS thread (threadpoolctl, restored on return); parallel work
belongs one level up, over fits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache, wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["single_blas_thread"]

P = ParamSpec("P")
R = TypeVar("R")

# Entry points call each other (fit_cfa -> estimate_ml -> scoring_newton): only the outermost
# sets and restores the limit (each setting costs a lookup in every BLAS library).
_state = threading.local()


@cache
def _controller() -> ThreadpoolController:
    # Finding the loaded BLAS libraries takes about 10 ms: once per process.
    return ThreadpoolController()


def single_blas_thread(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with BLAS limited to one thread (the previous limits are restored after)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if getattr(_state, "limited", False):
            return func(*args, **kwargs)
        _state.limited = True
        try:
            with _controller().limit(limits=1, user_api="blas"):
                return func(*args, **kwargs)
        finally:
            _state.limited = False

    return wrapper
