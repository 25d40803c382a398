"""Public names of a package loaded from their submodules on first use (PEP 562).

``import servqual`` runs in every workflow job, and most jobs need a few names only: a package
that lists its public names as ``{name: submodule}`` gets a module ``__getattr__`` that imports
the submodule the first time a name is asked for (and keeps the name, so the import happens
once), and a ``__dir__`` that lists the names before they are loaded.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(package: str, api: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public ``name`` lives in the
    submodule ``package.api[name]``.

    Examples
    --------
    >>> getattr_, dir_ = lazy_names("servqual", {"cronbach_alpha": "reliability"})
    >>> getattr_("cronbach_alpha").__name__
    'cronbach_alpha'
    """

    def getattr_(name: str) -> object:
        if name not in api:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{api[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *api})

    return getattr_, dir_
