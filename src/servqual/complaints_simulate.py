"""Seeded simulator of the example study's complaint registers, consistent with its survey.

Each wave's log covers the six months up to the wave (wave 1: October 2025 to March 2026; wave
w starts 6·(w − 1) months later). Complaints arrive as Poisson counts per month and theme
(:data:`THEMES`), in proportion to the survey's population gaps (:mod:`servqual.simulate`):
many on responsiveness and reliability (gaps about −0.9 and −1.0), some on tangibles although
its gap is 0 (facilities draw complaints without lowering expectations-based scores), few on
assurance and empathy, and price or network complaints no SERVQUAL code covers. In wave 2 the
queue-management programme cuts responsiveness complaints to 30% from the fourth month, a
shift the c-chart (limits from the first three months) should show. North draws more responsiveness complaints, Airport fewer on
tangibles, as the survey's segment effects do.

The log is written as a Chinese register export: Chinese column names, channel values in
English, timestamps mostly ``2025-10-03 09:15`` and partly ``2025/10/3 9:15``, a customer phone
column (personal data the pipeline must not read through), staff ids, a manual code column
filled for about 45% of complaints, whether a resolved complaint was settled at first contact
(是/否; about 40%), and texts in Chinese (80%) or English. Planted faults, one
each: a timestamp that does not parse, a first response before receipt, a duplicated id, a code
outside the codebook, a phone number and a staff id inside texts.

Command (see ``data/raw/README.md``)::

    python -m servqual.complaints_simulate --wave 1 --out data/raw/wave1/complaints.csv
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


@dataclass(frozen=True)
class Theme:
    """A kind of complaint: its expected count per month, where it is recorded, its code and
    the texts customers write, by language."""

    rate: float
    category: str
    department: str
    code: str
    texts: Mapping[str, tuple[str, ...]]


def _themes() -> dict[str, Theme]:
    listed = yaml.safe_load((resources.files("servqual") / "assets" / "complaint_themes.yaml").read_text("utf-8"))
    return {name: Theme(**{**fields, "texts": {lang: tuple(t) for lang, t in fields["texts"].items()}})
            for name, fields in listed.items()}


#: The kinds of complaint, by name (``servqual/assets/complaint_themes.yaml``).
THEMES: dict[str, Theme] = _themes()
#: Themes of the responsiveness dimension (cut by the wave-2 programme).
RESPONSIVENESS = ("queue_wait", "counters_understaffed", "unclear_timeline")
#: Wave 2: the queue-management programme leaves this share of responsiveness complaints from
#: this month of the log (0-based) on.
PROGRAMME = {"wave": 2, "from_month": 3, "factor": 0.3}
BRANCHES = {"Central": 0.35, "North": 0.25, "East": 0.25, "Airport": 0.15}
#: Branch weights by theme, after the survey's segment effects (North slower, Airport newer).
BRANCH_WEIGHT = {**{t: {"North": 1.8} for t in RESPONSIVENESS}, "billing_error": {"North": 1.2},
                 "waiting_area": {"Airport": 0.6}, "equipment_faults": {"Airport": 0.6}}
CHANNELS = {"counter": 0.35, "phone": 0.25, "online": 0.2, "box": 0.12, "written": 0.08}
#: Response and resolution promises in hours (the example config's `complaints.promises`).
PROMISES = {"counter": (12, 72), "phone": (72, 168), "online": (24, 168), "box": (168, 336), "written": (168, 336)}
OUTCOMES = np.array(["已解决", "已解释", "已补偿"])
COLUMNS = ["投诉编号", "受理时间", "渠道", "营业厅", "部门", "类别", "投诉内容", "首次响应时间", "办结时间",
           "处理结果", "受理工号", "人工编码", "客户电话", "首次解决"]
#: Share of resolved complaints settled at first contact, by channel (a counter can settle on the spot).
FIRST_CONTACT = {"counter": 0.6, "phone": 0.4, "online": 0.35, "box": 0.2, "written": 0.2}
#: Values planted in the texts (tests check that no output holds them).
PLANTED_PHONE = "13912345678"
MONTHS = 6


def log_start(wave: int) -> pd.Timestamp:
    """First day of a wave's log: October 2025 for wave 1, six months later per wave."""
    return pd.Timestamp("2025-10-01") + pd.DateOffset(months=MONTHS * (wave - 1))


def _stamp(times: pd.Series, chinese_style: np.ndarray) -> pd.Series:
    """Register text of timestamps: ISO minutes, or ``2025/10/3 9:15`` where ``chinese_style``."""
    iso = times.dt.strftime("%Y-%m-%d %H:%M")
    slash = times.dt.strftime("%Y/%m/%d %H:%M").str.replace(r"(?<=[/ ])0(?=\d)", "", regex=True)
    return iso.where(~chinese_style, slash).where(times.notna(), "")


def _arrivals(rng: np.random.Generator, wave: int) -> pd.DataFrame:
    """One row per complaint: theme and received time."""
    start, rows = log_start(wave), []
    for month in range(MONTHS):
        first = start + pd.DateOffset(months=month)
        days = first.days_in_month
        for name, theme in THEMES.items():
            cut = wave >= PROGRAMME["wave"] and month >= PROGRAMME["from_month"] and name in RESPONSIVENESS
            n = rng.poisson(theme.rate * (PROGRAMME["factor"] if cut else 1.0))
            minutes = rng.integers(0, days * 24 * 60, n)
            # Halls open 08:30-19:30: fold the time of day into opening hours.
            day, minute = minutes // (24 * 60), 510 + (minutes % (24 * 60)) * 660 // (24 * 60)
            times = first + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minute, unit="min")
            rows += [{"theme": name, "received": t} for t in times]
    return pd.DataFrame(rows).sort_values(["received", "theme"], kind="stable").reset_index(drop=True)


def _branch(rng: np.random.Generator, themes: pd.Series) -> np.ndarray:
    out = []
    for theme in themes:
        weight = np.array([p * BRANCH_WEIGHT.get(theme, {}).get(b, 1.0) for b, p in BRANCHES.items()])
        out.append(rng.choice(list(BRANCHES), p=weight / weight.sum()))
    return np.array(out)


def _texts(rng: np.random.Generator, themes: pd.Series) -> list[str]:
    out = []
    for name in themes:
        theme = THEMES[name]
        pool = theme.texts["zh" if rng.random() < 0.8 else "en"]
        out.append(pool[rng.integers(len(pool))].format(n=int(rng.integers(2, 12)) * 10))
    return out


def simulate_complaints(wave: int, *, seed: int = 20260302) -> pd.DataFrame:
    """The complaint register of one wave of the example study, as exported (all text).

    Parameters
    ----------
    wave
        1-based wave number (sets the months covered and the programme effect).
    seed
        Seed of ``numpy.random.default_rng`` (combined with the wave).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, one row per complaint, by received time.
    """
    rng = np.random.default_rng([seed, wave])
    log = _arrivals(rng, wave)
    n = len(log)
    end = log_start(wave) + pd.DateOffset(months=MONTHS)
    channel = rng.choice(list(CHANNELS), size=n, p=list(CHANNELS.values()))
    promise = np.array([PROMISES[c] for c in channel], dtype=float)
    # Most answers well inside the promise, a long tail late (about 16%).
    respond = promise[:, 0] * 0.45 * np.exp(rng.normal(0, 0.8, n))
    resolve = respond + promise[:, 1] * 0.35 * np.exp(rng.normal(0, 0.9, n))
    never = rng.random(n) < 0.02  # stuck: no resolution at all
    first = log["received"] + pd.to_timedelta(respond, unit="h")
    done = log["received"] + pd.to_timedelta(resolve, unit="h")
    first, done = first.where(first < end), done.where((done < end) & ~never)
    branch = _branch(rng, log["theme"])
    staff = [f"{b[0]}{rng.integers(101, 113)}" for b in branch]
    coded = rng.random(n) < 0.45
    codes = [THEMES[t].code if c else "" for t, c in zip(log["theme"], coded, strict=True)]
    style = rng.random(n) < 0.15
    frame = pd.DataFrame({
        "投诉编号": [f"TS{t:%y%m}-{i:04d}" for i, t in enumerate(log["received"], start=1)],
        "受理时间": _stamp(log["received"], style),
        "渠道": channel,
        "营业厅": branch,
        "部门": [THEMES[t].department for t in log["theme"]],
        "类别": [THEMES[t].category for t in log["theme"]],
        "投诉内容": _texts(rng, log["theme"]),
        "首次响应时间": _stamp(first, style),
        "办结时间": _stamp(done, style),
        "处理结果": np.where(done.notna(), rng.choice(OUTCOMES, n), "处理中"),
        "受理工号": staff,
        "人工编码": codes,
        "客户电话": [f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}" for _ in range(n)],
    })
    # Drawn last, so that the columns above are those of the logs simulated before it was added.
    settled = rng.random(n) < np.array([FIRST_CONTACT[c] for c in channel])
    frame["首次解决"] = np.where(done.notna() & settled, "是", "否")
    return _plant(frame, log["received"], wave)


def _plant(frame: pd.DataFrame, received: pd.Series, wave: int) -> pd.DataFrame:
    """One of each fault a register really has (see the module docstring)."""
    frame = frame.copy()
    n = len(frame)
    # A day that does not exist: the day after the last of the log's fifth month.
    month = log_start(wave) + pd.DateOffset(months=4)
    bad_day = f"{month:%Y-%m}-{month.days_in_month + 1} 10:12"
    frame.loc[n // 2, "首次响应时间"] = bad_day
    frame.loc[n // 3, "首次响应时间"] = (received[n // 3] - pd.Timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    frame.loc[n // 4 + 1, "投诉编号"] = frame.loc[n // 4, "投诉编号"]
    frame.loc[n // 5, "人工编码"] = "排队"
    frame.loc[n // 6, "投诉内容"] += f"联系电话{PLANTED_PHONE}。"
    staff = frame.loc[n // 7, "受理工号"]
    frame.loc[n // 7 + 1, "投诉内容"] = f"工号{staff}的营业员态度很差，不耐烦。"
    return frame


def write_complaint_log(frame: pd.DataFrame, path: str | Path, encoding: str = "utf-8") -> None:
    """Write a register as CSV (Unix line ends, so the file is the same on every machine)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m servqual.complaints_simulate --wave 1 --out complaints.csv``."""
    parser = argparse.ArgumentParser(description="Simulate the example study's complaint register (seeded).")
    parser.add_argument("--wave", type=int, default=1, help="1-based wave number")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--encoding", default="utf-8", help="e.g. utf-8, utf-8-sig (Excel), gb18030")
    parser.add_argument("--out", required=True, help="CSV file")
    args = parser.parse_args(argv)
    write_complaint_log(simulate_complaints(args.wave, seed=args.seed), args.out, args.encoding)


if __name__ == "__main__":
    main()
