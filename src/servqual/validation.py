"""Structural validation of a raw survey: required columns, numeric measures and their ranges.

A structural fault stops the wave with a :class:`~servqual.io.SurveyFormatError` whose message
names the file, the column, how many rows are concerned and the first of them by raw line
number. Values outside the scale are not structural: :func:`invalid_cells` returns them as a mask
for the ``out_of_range`` respondent rule.

Numbers are parsed with pyarrow (a million-row column in milliseconds; pandas' ``astype(float)``
on text takes about 50 times longer, so pandera's ``coerce`` is not used for it). The range and
whole-number checks are a pandera schema built from the instrument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pandera.pandas as pdr
import pyarrow as pa
import pyarrow.compute as pc

from servqual.instrument import OVERALL, Instrument, Scale
from servqual.io import RawSurvey, SurveyFormatError
from servqual.privacy import quoted_examples

#: Rows named in a message before "...".
SHOWN = 5


def where(lines: np.ndarray) -> str:
    """``"3 rows (lines 4, 9, 12)"``: how many rows and the first raw line numbers.

    Examples
    --------
    >>> where(np.array([4, 9, 12, 20, 31, 40]))
    '6 rows (lines 4, 9, 12, 20, 31, ...)'
    """
    shown = ", ".join(str(x) for x in lines[:SHOWN]) + (", ..." if len(lines) > SHOWN else "")
    return f"{len(lines)} row{'s' if len(lines) != 1 else ''} (line{'s' if len(lines) != 1 else ''} {shown})"


def require_columns(raw: RawSurvey, needed: Mapping[str, Iterable[str]]) -> None:
    """Every configured column must be in the file; all absent ones are named at once.

    ``needed`` maps a role (``"measure"``, ``"segment"``, ...) to raw column names.
    """
    present = set(raw.frame.columns)
    absent = {role: [c for c in names if c not in present] for role, names in needed.items()}
    absent = {role: names for role, names in absent.items() if names}
    if absent:
        listed = "; ".join(f"{role} {names}" for role, names in absent.items())
        raise SurveyFormatError(
            f"{raw.path}: missing required columns: {listed} (the file has {len(present)} columns; check the "
            "measure patterns and `columns` in config.yaml, or `export_format` in the waves sheet)"
        )


def parse_numeric(raw: RawSurvey, columns: Mapping[str, str], missing_codes: Iterable[object],
                  names: Iterable[str] = ()) -> pd.DataFrame:
    """Numeric columns as float64 after blanking missing codes; text left over is an error.

    Parameters
    ----------
    raw
        The raw export.
    columns
        Raw column name -> output name.
    missing_codes
        Values meaning "no answer", matched on the trimmed raw text (``99`` matches ``"99"`` but not
        ``"99.0"``, so that 99 importance points stay a valid answer when 99 is a missing code).
    names
        Names masked in the values a fault quotes (the respondents' and ``privacy.names``), besides
        phone numbers, e-mail addresses and ID numbers (:func:`servqual.privacy.quoted_examples`).

    Returns
    -------
    pandas.DataFrame
        One float64 column per output name; missing codes and empty cells are NaN.

    Raises
    ------
    SurveyFormatError
        One line per non-numeric column: its name, how many rows, the first lines and values.
    """
    codes = pa.array(sorted({str(c).strip() for c in missing_codes} | {""}), pa.large_string())
    out = np.empty((len(raw.frame), len(columns)), order="F")

    def parse(j: int, raw_name: str) -> str | None:
        """Column j into ``out``; the fault's description when it holds other text."""
        text = pa.array(raw.frame[raw_name], pa.large_string())
        try:
            out[:, j] = _to_float(text, codes)
        except pa.ArrowInvalid:
            # pyarrow refuses surrounding blanks, so only columns that have them pay for trimming.
            text = pc.utf8_trim_whitespace(text)
            try:
                out[:, j] = _to_float(text, codes)
            except pa.ArrowInvalid:
                return _not_numeric(raw, raw_name, text, codes, names)
        return None

    # Arrow's kernels release the GIL, so columns are parsed on as many threads as Arrow itself
    # may use (pa.cpu_count() follows OMP_NUM_THREADS, which Snakemake sets to the job's threads).
    with ThreadPoolExecutor(pa.cpu_count()) as pool:
        faults = [fault for fault in pool.map(parse, range(len(columns)), columns) if fault]
    if faults:
        raise SurveyFormatError(f"{raw.path}: text where numbers are expected (after missing codes):\n" + "\n".join(faults))
    # One float block: later masks and the pandera checks then work on one array, not many.
    return pd.DataFrame(out, index=raw.frame.index, columns=list(columns.values()), copy=False)


def _to_float(text: pa.Array | pa.ChunkedArray, codes: pa.Array) -> np.ndarray:
    """Missing codes to null, the rest cast to float (ArrowInvalid on any other text).

    A column holds few distinct texts (the scale points and the codes), so each is matched and
    parsed once, then spread over the rows by its dictionary index.
    """
    encoded = pc.dictionary_encode(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text)
    distinct = encoded.dictionary
    kept = pc.if_else(pc.is_in(distinct, value_set=codes), pa.scalar(None, distinct.type), distinct)
    parsed = pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)
    # "nan", "inf" and "Infinity" parse as floats, yet no survey answers so: text, as any other.
    if not np.isfinite(parsed[pc.is_valid(kept).to_numpy(zero_copy_only=False)]).all():
        raise pa.ArrowInvalid("not a finite number")
    # Index len(distinct), past the end, is the NaN appended for rows that were null already.
    numbers = np.append(parsed, np.nan)
    return numbers[encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)]


def _not_numeric(raw: RawSurvey, column: str, text: pa.Array, codes: pa.Array, names: Iterable[str]) -> str:
    # Error path only: pandas' slower parse tells which cells failed.
    values = pd.Series(text.to_pandas(), index=raw.frame.index)
    values = values.mask(values.isin(codes.to_pylist()))
    bad = (~np.isfinite(pd.to_numeric(values, errors="coerce")) & values.notna()).to_numpy()
    examples = quoted_examples(pd.unique(values[bad]), names)
    accidental = pd.to_numeric(values[bad], errors="coerce").notna().any() or values[bad].str.lower().eq("nan").any()
    hint = (" (nan and inf read as numbers only by accident; if they mean no answer, add them to "
            "cleaning.missing_codes)") if accidental else ""
    return f"  column {column!r}: {where(raw.line.to_numpy()[bad])}, e.g. {examples}{hint}"


def bounds(instrument: Instrument) -> dict[str, Scale]:
    """Theoretical bounds of every canonical measure column: the rating scale for items and for
    item importance ratings, the overall item's own scale, and 0..100 points (not necessarily
    whole) for importance per dimension."""
    out = dict.fromkeys(instrument.rating_columns(), instrument.scale)
    out.update(dict.fromkeys(instrument.item_importance_columns if instrument.has_item_importance else [],
                             instrument.scale))
    out.update(dict.fromkeys(instrument.importance_columns if instrument.has_importance else [], Scale(0, 100, False)))
    if instrument.has_overall:
        out[OVERALL] = instrument.overall_scale
    for outcome in instrument.outcomes:
        out.update(dict.fromkeys(outcome.canonical_columns, outcome.scale))
    return out


def _bound_checks(scale: Scale) -> list[pdr.Check]:
    """The checks of a scale's bounds; an open side has none."""
    checks = [pdr.Check.ge(scale.min)] if scale.min is not None else []
    return checks + ([pdr.Check.le(scale.max)] if scale.max is not None else [])


def range_schema(instrument: Instrument) -> pdr.DataFrameSchema:
    """pandera schema of the canonical measure columns: float, within bounds, whole numbers on
    integer scales; missing values pass (they are the missing-data rules' business)."""
    whole = pdr.Check(lambda s: s == np.round(s), name="whole_number", error="not a scale point")
    return pdr.DataFrameSchema(
        {
            column: pdr.Column(
                float,
                _bound_checks(scale) + ([whole] if scale.integer else []),
                nullable=True,
            )
            for column, scale in bounds(instrument).items()
        }
    )


def invalid_cells(values: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Cells outside their theoretical bounds or between the points of an integer scale.

    Examples
    --------
    >>> from servqual.simulate import servqual_instrument
    >>> inst = servqual_instrument()
    >>> frame = pd.DataFrame({c: [4.0, 4.0] for c in bounds(inst)})
    >>> frame.loc[1, "E_tan1"] = 8.0
    >>> invalid_cells(frame, inst)["E_tan1"].tolist()
    [False, True]
    """
    mask = np.zeros(values.shape, bool)
    # The schema's checks are applied one by one, not through schema.validate(lazy=True): its
    # report has a row per failing cell, which took seconds for a wave of a million respondents
    # with thousands of out-of-range answers. A check leaves missing values out of its output.
    for name, column in range_schema(instrument).columns.items():
        j = values.columns.get_loc(name)
        for check in column.checks:
            passed = check(values[name]).check_output
            mask[values.index.get_indexer(passed.index[~passed.to_numpy(bool)]), j] = True
    return pd.DataFrame(mask, index=values.index, columns=values.columns)
