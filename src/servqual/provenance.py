"""What a report rests on: checksums of the raw inputs, the configuration as used, software
versions, seeds, the workflow's commit and command, and a methods paragraph for the paper.

The methods paragraph is written from the configuration and the cleaning flow, so it says what
was actually done (which intervals, which rotation, how many resamples) rather than what a
template assumes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from servqual.io import sha256
from servqual.reliability import BLB_MIN_N

#: Packages whose versions the methods and provenance name.
SOFTWARE = ("servqual", "numpy", "pandas", "scipy", "semopy", "snakemake", "matplotlib", "jieba")

ADJUSTMENTS = {"holm": "Holm", "bh": "Benjamini–Hochberg"}

REFERENCES = {
    "servqual": "Parasuraman, A., Zeithaml, V. A. & Berry, L. L. (1988). SERVQUAL: A multiple-item scale for "
    "measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12-40.",
    "servperf": "Cronin, J. J. & Taylor, S. A. (1992). Measuring service quality: A reexamination and extension. "
    "Journal of Marketing, 56(3), 55-68.",
    "careless": "Meade, A. W. & Craig, S. B. (2012). Identifying careless responses in survey data. "
    "Psychological Methods, 17(3), 437-455.",
    "feldt": "Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987). Statistical inference for coefficient alpha. "
    "Applied Psychological Measurement, 11(1), 93-103.",
    "duhachek": "Duhachek, A. & Iacobucci, D. (2004). Alpha's standard error (ASE): An accurate and precise "
    "confidence interval estimate. Journal of Applied Psychology, 89(5), 792-808.",
    "omega": "McDonald, R. P. (1999). Test theory: A unified treatment. Mahwah, NJ: Erlbaum.",
    "blb": "Kleiner, A., Talwalkar, A., Sarkar, P. & Jordan, M. I. (2014). A scalable bootstrap for massive "
    "data. Journal of the Royal Statistical Society: Series B, 76(4), 795-816.",
    "difference": "Peter, J. P., Churchill, G. A. & Brown, T. J. (1993). Caution in the use of difference scores "
    "in consumer research. Journal of Consumer Research, 19(4), 655-662.",
    "horn": "Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis. "
    "Psychometrika, 30(2), 179-185.",
    "hu_bentler": "Hu, L. & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure "
    "analysis. Structural Equation Modeling, 6(1), 1-55.",
    "htmt": "Henseler, J., Ringle, C. M. & Sarstedt, M. (2015). A new criterion for assessing discriminant "
    "validity in variance-based structural equation modeling. JAMS, 43(1), 115-135.",
    "holm": "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
    "Statistics, 6(2), 65-70.",
    "ipa": "Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of Marketing, "
    "41(1), 77-79.",
    "gaps_model": "Zeithaml, V. A., Berry, L. L. & Parasuraman, A. (1988). Communication and control processes in "
    "the delivery of service quality. Journal of Marketing, 52(2), 35-48.",
    "invariance": "Cheung, G. W. & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing "
    "measurement invariance. Structural Equation Modeling, 9(2), 233-255.",
}


def software_versions(packages: Iterable[str] = SOFTWARE) -> dict[str, str]:
    """Installed version of each package ('not installed' where absent)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def workflow_commit(folder: str | Path) -> str:
    """The git commit of the workflow folder, marked ``-dirty`` with uncommitted changes, or a
    note saying it is not a git checkout."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def input_checksums(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """SHA-256 and size of every raw input, in the order given."""
    return [{"path": str(p), "sha256": sha256(p), "bytes": Path(p).stat().st_size} for p in paths]


def _sample_sentence(flow: pd.DataFrame) -> str:
    counts = flow.set_index("step")["n"]
    excluded = flow[(flow["step"] == "excluded") & (flow["n"] > 0)]
    reasons = ", ".join(f"{rule.replace('_', ' ')} ({n})" for rule, n in zip(excluded["rule"], excluded["n"]))
    return (
        f"Of {int(counts['read'])} responses, {int(counts['kept'])} were analysed; "
        f"{int(counts['read'] - counts['kept'])} were excluded, each under the first rule it met"
        + (f": {reasons}" if reasons else "")
        + " (screens after Meade & Craig, 2012)."
    )


def methods_paragraph(config: Mapping[str, Any], flow: pd.DataFrame, versions: Mapping[str, str]) -> str:
    """A methods paragraph for one wave, from the configuration used and the cleaning flow.

    Parameters
    ----------
    config
        The validated study configuration (with defaults filled in).
    flow
        The wave's ``cleaning_summary.csv`` (step, rule, n).
    versions
        Package -> version, as from :func:`software_versions`.

    Returns
    -------
    str
        Markdown: the paragraph, then the references it cites.
    """
    measures = [m for m, spec in config["measures"].items() if spec]
    gap = {"expectation", "perception"} <= set(measures)
    n_items, n_dims = len(config["instrument"]["items"]), len(config["instrument"]["dimensions"])
    scale = config["instrument"]["scale"]
    rel, efa, gaps = config["reliability"], config["efa"], config["gaps"]
    cited = ["servqual" if gap else "servperf", "careless", "feldt", "duhachek", "omega", "horn", "hu_bentler",
             "htmt", "holm", "ipa", "gaps_model", "invariance"] + (["difference"] if gap else [])
    level = int(round(config["analysis"]["confidence"] * 100))
    # Scales with more complete respondents than BLB_MIN_N get the bag of little bootstraps.
    large = int(flow.set_index("step")["n"]["kept"]) > BLB_MIN_N and rel["n_boot"] > 0
    cited += ["blb"] if large else []
    text = [
        f"Service quality was measured with {n_items} items in {n_dims} dimensions on a "
        f"{scale['min']:g}-{scale['max']:g} scale ({', '.join(measures)}; "
        + ("SERVQUAL, Parasuraman et al., 1988)." if gap else "perceptions only, SERVPERF, Cronin & Taylor, 1992)."),
        _sample_sentence(flow),
        f"Reliability was estimated per dimension as Cronbach's alpha with Feldt and Duhachek–Iacobucci "
        f"{level}% intervals and a percentile bootstrap ({rel['n_boot']} resamples"
        + (f"; for scales with more than {BLB_MIN_N:,} complete respondents by the bag of little bootstraps, "
           "Kleiner et al., 2014" if large else "")
        + "), and as McDonald's omega "
        f"total from a one-factor minimum-residual model ({rel['missing_policy']} deletion)"
        + ("; the reliability of the P − E difference scores was computed after Peter et al. (1993)." if gap else "."),
        f"Dimensionality was examined with Horn's parallel analysis ({efa['n_iter']} simulations, "
        f"{'95th percentile' if efa['rule'] == 'quantile' else 'mean'} rule) and exploratory factor analysis "
        f"({efa['method']} extraction, {efa['rotation']} rotation), then with maximum-likelihood confirmatory factor "
        "analysis of the instrument's dimensions against one-factor and second-order models, judged by Hu and "
        "Bentler's (1999) cutoffs, with composite reliability, AVE and HTMT (Henseler et al., 2015).",
    ]
    if gap:
        text.append(
            f"Gaps (P − E) were tested per item and dimension with paired t-tests and Wilcoxon signed-rank tests "
            f"(zero differences by the {gaps['zero_method']} method), with {ADJUSTMENTS[gaps['p_adjust']]}-adjusted "
            f"p-values, {level}% confidence intervals and the effect sizes d_z and d_av."
        )
    text.append(
        f"Importance-performance analysis used {gaps['ipa_importance']} importance (Martilla & James, 1977); "
        f"segments were compared with Welch's ANOVA and Kruskal–Wallis tests where every level had at least "
        f"{gaps['min_cell']} respondents; invariance across waves and segments was tested by multi-group CFA "
        "(Cheung & Rensvold, 2002), and improvement priorities were tied to the provider gaps of the Gaps Model "
        "(Zeithaml et al., 1988)."
    )
    text.append(
        "Analyses ran in servqual " + versions.get("servqual", "?") + " ("
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k != "servqual")
        + f"), seed {config['analysis']['seed']}."
    )
    references = "\n".join(f"- {REFERENCES[key]}" for key in sorted(set(cited), key=lambda k: REFERENCES[k]))
    return " ".join(text) + "\n\n**References**\n\n" + references
