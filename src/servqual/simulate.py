"""Deterministic, seeded simulator of SERVQUAL survey exports, with planted data-quality problems.

The example study, the tests and the benchmarks all draw their surveys from here. Data follow a
common-factor model per measure (Parasuraman, Zeithaml & Berry 1988): for respondent r, item i of
dimension d and measure m,

    y = round(clip(mu_m,i + s_m * (lambda_i * eta_m,d + sqrt(1 - lambda_i^2) * e) + a_r, min, max))

where eta_m ~ N(0, Phi_m) are correlated dimension factors, e ~ N(0, 1) and a_r ~ N(0, 0.35^2) is
a respondent's response style shared by all measures (which makes E and P correlate, as in real
data). The perception mean of an item is its expectation mean plus its dimension's population
gap, plus segment effects, plus the item's own intercept shift (:attr:`Population.intercept_shift`:
emp2, the hall's opening hours, is rated 1.0 point lower than the empathy it measures implies,
so expectations and perceptions are scalar-equal for every dimension but empathy, where they are
partially scalar-equal with emp2's intercept free). Population values are module constants
(:data:`POPULATION`) so tests can check that analyses recover them.

Outcomes, with satisfaction as mediator. Overall satisfaction (``measures.overall``) follows the
mean perception rating (before the intercept shift, a property of the rating and not of the
service), so every dimension raises it in proportion to its items' loadings:

    overall = round(clip(4.5 + 1.1 z(mean P) + u)),   u ~ N(0, 0.8^2)

(on a 1-7 scale; other scales linearly). Each further outcome the instrument declares and
:attr:`Population.loyalty` names (``return``, intention to return; ``recommend``, willingness to
recommend) follows satisfaction and, directly, some dimensions' perception factors eta_P,d:

    o* = sum_k b_k x_k + v,   v ~ N(0, 0.6^2);   each of its columns = round(clip(4.8 + 1.2 (o* + 0.3 w)))

with x = z(overall) and the eta_P,d of the dimensions named, w ~ N(0, 1) per column. The
example's paths: return <- satisfaction 0.5, return <- reliability 0.3; recommend <-
satisfaction 0.6, recommend <- empathy 0.25; every other dimension acts on the two only through
satisfaction. So the standardized direct path is 1.2 b / SD(outcome), and a dimension's indirect
effect is its path to satisfaction times satisfaction's to the outcome. These columns come from
a stream of their own (a child of the survey's seed), so declaring outcomes leaves every other
column of a survey as it was.

Planted problems, as survey exports really have them: straight-liners, speeders, out-of-range
values, missing codes, duplicated rows and reused respondent ids, failed attention checks,
importance points that do not sum to 100, and a personal-data block (names, phones, e-mails,
18-digit ID numbers).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from servqual.instrument import Instrument, Scale, instrument_from_config
from servqual.study_files import load_study_yaml


#: The example's dimensions -> mean expectation, wave-1 gap and mean importance points.
_DIMENSIONS = {
    "tangibles": (5.3, 0.0, 12.0),
    "reliability": (6.3, -1.0, 31.0),
    "responsiveness": (6.0, -0.9, 22.0),
    "assurance": (6.0, -0.3, 19.0),
    "empathy": (5.6, -0.5, 16.0),
}


def _by_dimension(position: int) -> dict[str, float]:
    return {dimension: values[position] for dimension, values in _DIMENSIONS.items()}


@dataclass(frozen=True)
class Population:
    """Population values of the simulated study (documented; tests recover them).

    Attributes
    ----------
    expectation
        Mean expectation per dimension on the rating scale (before rounding and clipping).
    gap
        Perception minus expectation per dimension, wave 1.
    gap_change
        Change of the gap from wave 2 onwards (a real programme effect).
    loadings
        Range of standardized loadings drawn per item.
    factor_r
        Correlation between dimension factors within a measure.
    spread
        Item SD on the rating scale before rounding, per measure letter.
    segment_effects
        Perception shifts (scale points) for segment levels, per dimension.
    importance
        Mean importance points per dimension (sum 100).
    style_sd
        SD of the respondent's response style shared by every rating.
    intercept_shift
        Perception-only shift (scale points) of an item's intercept: item id -> shift.
    loyalty
        Paths to each further outcome: outcome id -> {``overall`` or a dimension id -> b}.
    """

    expectation: dict[str, float] = field(default_factory=lambda: _by_dimension(0))
    gap: dict[str, float] = field(default_factory=lambda: _by_dimension(1))
    gap_change: dict[str, float] = field(default_factory=lambda: {"responsiveness": 0.4})
    loadings: tuple[float, float] = (0.65, 0.85)
    factor_r: float = 0.5
    spread: dict[str, float] = field(default_factory=lambda: {"E": 0.9, "P": 1.2, "A": 1.0, "D": 0.8})
    segment_effects: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "branch=North": {"responsiveness": -0.5, "reliability": -0.2},
            "branch=Airport": {"tangibles": 0.3},
            "customer_type=senior": {"empathy": -0.4},
            "customer_type=business": {"responsiveness": 0.2},
        }
    )
    importance: dict[str, float] = field(default_factory=lambda: _by_dimension(2))
    style_sd: float = 0.35
    intercept_shift: dict[str, float] = field(default_factory=lambda: {"emp2": -1.0})
    loyalty: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "return": {"overall": 0.5, "reliability": 0.3},
            "recommend": {"overall": 0.6, "empathy": 0.25},
        }
    )
    #: Mean, scale factor, disturbance SD and column noise of the further outcomes (module docstring).
    loyalty_mean: float = 4.8
    loyalty_spread: float = 1.2
    loyalty_noise: float = 0.6
    loyalty_item_noise: float = 0.3
    default_expectation: float = 5.8
    default_gap: float = -0.3
    #: Offsets of the adequate and desired levels from expectation (three-column format).
    adequate_offset: float = -1.3
    desired_offset: float = 0.3

    def dimension_gap(self, dimension: str, wave: int) -> float:
        """Population gap of a dimension in a wave (1-based)."""
        gap = self.gap.get(dimension, self.default_gap)
        return gap + (self.gap_change.get(dimension, 0.0) if wave >= 2 else 0.0)


POPULATION = Population()

SEGMENTS = {
    "branch": (["Central", "North", "East", "Airport"], [0.35, 0.25, 0.25, 0.15]),
    "customer_type": (["individual", "business", "senior"], [0.65, 0.2, 0.15]),
}

#: Shares of respondents with each planted problem.
PROBLEMS = {
    "straightline": 0.025,
    "speeder": 0.025,
    "out_of_range": 0.01,
    "missing_codes": 0.04,
    "mostly_missing": 0.01,
    "attention_failed": 0.02,
    "importance_off": 0.04,
    "duplicate_rows": 0.01,
    "reused_ids": 0.005,
}

SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
GIVEN = np.array(["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"])
PINYIN = np.array(["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou"])


def simulate_survey(
    instrument: Instrument,
    n: int,
    *,
    wave: int = 1,
    seed: int = 0,
    population: Population = POPULATION,
    problems: bool = True,
    columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Simulate one wave's raw survey export with the instrument's raw column names.

    Parameters
    ----------
    instrument
        The study instrument; every measure it declares is simulated.
    n
        Number of distinct respondents before planted duplicates are appended.
    wave
        1-based wave number: from wave 2 on, :attr:`Population.gap_change` applies.
    seed
        Seed of ``numpy.random.default_rng``; the same arguments give the same file.
    population
        Population values.
    problems
        Plant the data-quality problems listed in :data:`PROBLEMS` (and the personal-data block).
    columns
        Raw names of the respondent id and duration columns (defaults ``resp_id``,
        ``duration_sec``).

    Returns
    -------
    pandas.DataFrame
        One row per submitted response; ratings are strings where missing codes were planted.

    Examples
    --------
    >>> from servqual.simulate import simulate_survey, servqual_instrument
    >>> simulate_survey(servqual_instrument(), 5, seed=1).shape[0] >= 5
    True
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    columns = {"respondent_id": "resp_id", "duration": "duration_sec", **(columns or {})}
    rng = np.random.default_rng([seed, wave])
    segments = _segments(rng, n)
    style = rng.normal(0.0, population.style_sd, n)
    canonical, construct = _ratings(instrument, population, rng, n, wave, segments, style)
    if instrument.has_importance:
        canonical.update(_importance(instrument, population, rng, n))
    if instrument.has_overall:
        canonical["overall"] = _overall(instrument, construct.ratings, rng)
    if instrument.outcomes:
        own = np.random.default_rng(np.random.SeedSequence([seed, wave]).spawn(1)[0])
        canonical.update(_loyalty(instrument, population, own, construct, canonical.get("overall")))
    frame = pd.DataFrame(canonical)
    rename = {canon: raw for raw, canon in instrument.raw_to_canonical().items()}
    frame = frame.rename(columns=rename)
    ids = pd.Series([f"W{wave}-{i:06d}" for i in range(1, n + 1)])
    frame.insert(0, columns["respondent_id"], ids)
    for name, values in segments.items():
        frame[name] = values
    frame[columns["duration"]] = np.round(rng.lognormal(np.log(540), 0.45, n)).astype(int)
    frame["attention"] = 4
    if problems:
        frame = _plant_problems(frame, instrument, rng, columns)
    return frame


def _segments(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {name: rng.choice(levels, size=n, p=probs) for name, (levels, probs) in SEGMENTS.items()}


def _factor_scores(rng: np.random.Generator, n: int, k: int, r: float) -> np.ndarray:
    """Dimension factors with unit variances and common correlation r, as a shared part plus a
    unique part: eta_d = sqrt(r) g + sqrt(1 - r) z_d gives Var(eta_d) = 1 and Cov = r exactly.

    No matrix is factorised: ``multivariate_normal`` factors Phi by SVD, and Phi's k - 1 equal
    eigenvalues leave the basis of their eigenspace to the linear-algebra library, so each
    OpenBLAS kernel drew different respondents from the same seed. Only element-wise IEEE
    arithmetic is left, which gives the same bits on every CPU.
    """
    common = rng.standard_normal((n, 1))
    unique = rng.standard_normal((n, k))
    return np.sqrt(r) * common + np.sqrt(1.0 - r) * unique


def _segment_shift(population: Population, segments: dict[str, np.ndarray], dim: str) -> np.ndarray:
    n = len(next(iter(segments.values())))
    shift = np.zeros(n)
    for key, effects in population.segment_effects.items():
        column, level = key.split("=")
        if column in segments and dim in effects:
            shift += (segments[column] == level) * effects[dim]
    return shift


@dataclass(frozen=True)
class _Construct:
    """What the outcomes follow: the perception factors eta_P (one column per dimension; None
    without perceptions) and the ratings satisfaction reads (perceptions before the intercept
    shift, else the other measures)."""

    factors: np.ndarray | None
    ratings: np.ndarray


def _ratings(
    instrument: Instrument,
    population: Population,
    rng: np.random.Generator,
    n: int,
    wave: int,
    segments: dict[str, np.ndarray],
    style: np.ndarray,
) -> tuple[dict[str, np.ndarray], _Construct]:
    dims = instrument.dimension_ids
    dim_index = np.array([dims.index(d) for d in instrument.item_dimension.values()])
    n_items = len(dim_index)
    # Item offsets and loadings are properties of the instrument, so they come from a fixed
    # stream: both waves share them, as a real instrument's items would.
    fixed = np.random.default_rng(12345)
    loadings = fixed.uniform(*population.loadings, n_items)
    offsets = fixed.normal(0.0, 0.15, n_items)
    base_e = np.array([population.expectation.get(d, population.default_expectation) for d in dims])
    gaps = np.array([population.dimension_gap(d, wave) for d in dims])
    shifts = np.column_stack([_segment_shift(population, segments, d) for d in dims])
    level = {
        "E": base_e[dim_index] + offsets,
        "A": base_e[dim_index] + offsets + population.adequate_offset,
        "D": base_e[dim_index] + offsets + population.desired_offset,
    }
    item_shift = np.array([population.intercept_shift.get(i, 0.0) for i in instrument.item_ids])
    out: dict[str, np.ndarray] = {}
    scale = instrument.scale
    factors, construct = None, []
    for measure in instrument.item_measures:
        letter = {"expectation": "E", "perception": "P", "adequate": "A", "desired": "D"}[measure]
        eta = _factor_scores(rng, n, len(dims), population.factor_r)
        noise = rng.standard_normal((n, n_items))
        latent = loadings * eta[:, dim_index] + np.sqrt(1 - loadings**2) * noise
        if letter == "P":
            mean = level["E"] + gaps[dim_index] + shifts[:, dim_index]
        else:
            mean = np.broadcast_to(level[letter], (n, n_items))
        values = mean + population.spread[letter] * latent + style[:, None]
        rated = np.clip(np.rint(_on_scale(values, scale)), scale.min, scale.max)
        if letter == "P":
            factors, construct = eta, [rated]
            if item_shift.any():
                rated = np.clip(np.rint(_on_scale(values + item_shift, scale)), scale.min, scale.max)
        elif factors is None:
            construct.append(rated)
        for j, item in enumerate(instrument.item_ids):
            out[f"{letter}_{item}"] = rated[:, j]
    return out, _Construct(factors, np.column_stack(construct))


def _on_scale(values: np.ndarray, scale: Scale) -> np.ndarray:
    """Population values are stated on the 1-7 SERVQUAL scale; map them linearly to the
    instrument's own bounds so a 5- or 10-point instrument gets the same relative profile."""
    return scale.min + (values - 1.0) * (scale.max - scale.min) / 6.0


def _importance(
    instrument: Instrument, population: Population, rng: np.random.Generator, n: int
) -> dict[str, np.ndarray]:
    dims = instrument.dimension_ids
    means = np.array([population.importance.get(d, 100 / len(dims)) for d in dims])
    shares = rng.dirichlet(means / means.sum() * 25, size=n)
    points = np.floor(shares * 100)
    # Give the rounding remainder to the largest share so every row sums to exactly 100.
    points[np.arange(n), shares.argmax(axis=1)] += 100 - points.sum(axis=1)
    return {f"I_{d}": points[:, j] for j, d in enumerate(dims)}


def _overall(instrument: Instrument, ratings: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mean_p = ratings.mean(axis=1)
    z = (mean_p - mean_p.mean()) / (mean_p.std() or 1.0)
    scale = instrument.overall_scale
    centre = (scale.min + scale.max) / 2 + 0.5
    values = centre + 1.1 * z + rng.normal(0, 0.8, len(z))
    return np.clip(np.rint(values), scale.min, scale.max)


def _loyalty(
    instrument: Instrument,
    population: Population,
    rng: np.random.Generator,
    construct: _Construct,
    overall: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """The further outcomes (module docstring): each declared outcome from satisfaction and the
    perception factors its :attr:`Population.loyalty` paths name; a predictor the study lacks
    (no overall item, no perceptions) or a dimension it does not have adds nothing."""
    n = len(construct.ratings)
    predictors: dict[str, np.ndarray] = {}
    if overall is not None:
        predictors["overall"] = (overall - overall.mean()) / (overall.std() or 1.0)
    if construct.factors is not None:
        predictors.update(zip(instrument.dimension_ids, construct.factors.T))
    out: dict[str, np.ndarray] = {}
    for outcome in instrument.outcomes:
        paths = population.loyalty.get(outcome.id, {})
        latent = sum((b * predictors[k] for k, b in paths.items() if k in predictors), np.zeros(n))
        latent = latent + rng.normal(0.0, population.loyalty_noise, n)
        for column in outcome.canonical_columns:
            noisy = latent + population.loyalty_item_noise * rng.standard_normal(n)
            values = _on_scale(population.loyalty_mean + population.loyalty_spread * noisy, outcome.scale)
            out[column] = np.clip(np.rint(values), outcome.scale.min, outcome.scale.max)
    return out


def _pick(rng: np.random.Generator, pool: np.ndarray, share: float) -> np.ndarray:
    """At least one respondent (when any remain) for every planted problem, so small waves show it."""
    k = min(len(pool), max(1, int(round(share * len(pool)))))
    return rng.choice(pool, size=k, replace=False)


def _plant_problems(
    frame: pd.DataFrame, instrument: Instrument, rng: np.random.Generator, columns: dict[str, str]
) -> pd.DataFrame:
    n = len(frame)
    frame = frame.copy()
    raw = {canon: raw for raw, canon in instrument.raw_to_canonical().items()}
    rating_cols = [raw[c] for c in instrument.rating_columns()]
    ratings = frame[rating_cols].to_numpy(dtype=float, copy=True)
    k = ratings.shape[1]
    free = np.arange(n)

    def take(share: float) -> np.ndarray:
        nonlocal free
        chosen = _pick(rng, free, share)
        free = np.setdiff1d(free, chosen)
        return chosen

    rows = take(PROBLEMS["straightline"])
    scale = instrument.scale
    ratings[rows] = rng.choice([float(np.ceil((scale.min + scale.max) / 2)), scale.max], size=len(rows))[:, None]
    rows = take(PROBLEMS["speeder"])
    frame.loc[rows, columns["duration"]] = rng.integers(25, 100, len(rows))
    rows = take(PROBLEMS["out_of_range"])
    ratings[rows, rng.integers(0, k, len(rows))] = rng.choice([0.0, 8.0, 77.0], size=len(rows))
    rows = take(PROBLEMS["missing_codes"])
    ratings[rows, rng.integers(0, k, len(rows))] = rng.choice([99.0, -1.0, np.nan], size=len(rows))
    rows = take(PROBLEMS["mostly_missing"])
    ratings[rows, : k // 2] = np.nan
    frame[rating_cols] = pd.DataFrame(ratings, columns=rating_cols).astype("Int64")
    # Text codes occur in exports where the survey tool wrote a label; a few columns suffice.
    rows = take(PROBLEMS["missing_codes"])
    text_cols = rating_cols[:2]
    frame[text_cols] = frame[text_cols].astype(object)
    frame.loc[rows, text_cols[0]] = "N/A"
    frame.loc[rows, text_cols[1]] = "不适用"
    rows = take(PROBLEMS["attention_failed"])
    frame.loc[rows, "attention"] = rng.choice([1, 2, 6, 7], size=len(rows))
    if instrument.has_importance:
        first = raw[instrument.importance_columns[0]]
        rows = take(PROBLEMS["importance_off"])
        frame.loc[rows, first] = frame.loc[rows, first] + rng.choice([-10, 10, 20], len(rows))
    frame = _personal_data(frame, rng)
    dup_rows = _pick(rng, free, PROBLEMS["duplicate_rows"])
    reused = _pick(rng, np.setdiff1d(free, dup_rows), PROBLEMS["reused_ids"])
    reused_copy = frame.loc[reused].copy()
    donors = rng.choice(np.setdiff1d(np.arange(n), reused), size=len(reused))
    reused_copy[rating_cols] = frame.loc[donors, rating_cols].to_numpy()
    extra = pd.concat([frame.loc[dup_rows], reused_copy])
    out = pd.concat([frame, extra], ignore_index=True)
    # Shuffle so duplicates are not all at the end, as in a real export sorted by submission.
    return out.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)


def _personal_data(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(frame)
    surname = rng.choice(SURNAMES, n)
    given = rng.choice(GIVEN, n)
    frame.insert(1, "name", np.char.add(surname.astype(str), given.astype(str)))
    mobile = rng.choice(["138", "139", "150", "186", "177"], n)
    frame.insert(2, "phone", np.char.add(mobile, rng.integers(10_000_000, 99_999_999, n).astype(str)))
    handle = np.char.add(rng.choice(PINYIN, n), rng.integers(100, 9999, n).astype(str))
    frame.insert(3, "email", np.char.add(handle, "@example.com"))
    region = rng.integers(110_000, 659_000, n).astype(str)
    birth = rng.integers(19500101, 20051231, n).astype(str)
    tail = rng.integers(1000, 9999, n).astype(str)
    frame.insert(4, "id_number", np.char.add(np.char.add(region, birth), tail))
    return frame


def servqual_instrument(config_path: str | Path | None = None) -> Instrument:
    """The instrument of a config file (default: the bundled example's 22-item SERVQUAL)."""
    path = Path(config_path) if config_path else Path(__file__).resolve().parents[2] / "config" / "config.yaml"
    config = load_study_yaml(path)
    return instrument_from_config(config["instrument"], config["measures"], config.get("outcomes", []))


def main(argv: list[str] | None = None) -> None:
    """Command line: ``servqual-simulate --n 400 --wave 1 --seed 1 --out survey.csv``."""
    parser = argparse.ArgumentParser(description="Simulate a SERVQUAL survey export (seeded).")
    parser.add_argument("--config", help="study config.yaml whose instrument to simulate")
    parser.add_argument("--n", type=int, default=400, help="respondents before planted duplicates")
    parser.add_argument("--wave", type=int, default=1, help="1-based wave number")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--clean", action="store_true", help="plant no data-quality problems")
    parser.add_argument("--out", required=True, help="CSV (.csv), TSV (.tsv) or parquet (.parquet) file")
    args = parser.parse_args(argv)
    frame = simulate_survey(
        servqual_instrument(args.config), args.n, wave=args.wave, seed=args.seed, problems=not args.clean
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        frame.astype(str).to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False, sep="\t" if out.suffix == ".tsv" else ",")


if __name__ == "__main__":
    main()
