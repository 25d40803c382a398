"""Input checks at the library's boundary, one function per concern, each raising one kind of
error with a message a researcher understands; code behind the boundary trusts its inputs.

A wrong type (not a table, text where ratings belong) is a ``TypeError``; a wrong value (an item
missing, an infinite rating, an option not offered, a level outside (0, 1)) a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


def check_items(items: pd.DataFrame, columns: Iterable[str] | None = None, *, name: str = "items") -> None:
    """Raise unless ``items`` is a DataFrame whose item ``columns`` (by default all) are present
    and hold numeric ratings, finite or NaN.

    Examples
    --------
    >>> check_items(pd.DataFrame({"q1": [1, 2], "q2": ["a", "b"]}))
    Traceback (most recent call last):
    ...
    TypeError: items must be numeric ratings; non-numeric columns: q2
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame (one column per item), got {type(items).__name__}")
    columns = list(items.columns if columns is None else columns)
    absent = [c for c in columns if c not in items.columns]
    if absent:
        raise ValueError(f"{name} lacks items of the dimension mapping: {absent}")
    text = [str(c) for c in columns if not pd.api.types.is_numeric_dtype(items[c])]
    if text:
        raise TypeError(f"{name} must be numeric ratings; non-numeric columns: {', '.join(text)}")
    # Column by column: one copy of a million-row item frame would cost more than the check.
    infinite = [str(c) for c in columns if np.isinf(items[c].to_numpy(float)).any()]
    if infinite:
        raise ValueError(f"{name} hold infinite values in {', '.join(infinite)}; code missing answers as NaN")


def check_choice(value: object, allowed: Sequence[object], name: str) -> None:
    """Raise unless ``value`` is one of ``allowed`` (an option named ``name``)."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, not {value!r}")


def check_confidence(confidence: float, name: str = "confidence") -> None:
    """Raise unless ``confidence`` is a level strictly between 0 and 1."""
    if not 0 < confidence < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, not {confidence}")
