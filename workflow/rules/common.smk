import ast
from pathlib import Path

import pandas as pd
from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

WAVES = (
    pd.read_csv(config["waves"], sep="\t", dtype=str).fillna("").set_index("wave", drop=False)
)
validate(WAVES, schema="../schemas/waves.schema.yaml")
LIB = Path(workflow.basedir) / "src" / "servqual"


wildcard_constraints:
    wave="|".join(WAVES.index),


def lib(*modules):
    """Library files a rule imports, with everything they import from servqual (transitively),
    so editing one module reruns exactly the rules that use it."""
    seen, todo = set(), ["__init__", *modules]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((LIB / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("servqual."):
                todo.append(node.module.split(".", 1)[1])
    return sorted(str(LIB / f"{m}.py") for m in seen)


def survey_file(wildcards):
    return WAVES.loc[wildcards.wave, "survey"]


def wave_tables(wave):
    return [f"reports/{wave}/tables/{name}.csv" for name in TABLES]


def all_targets():
    return expand("reports/{wave}/report.html", wave=WAVES.index)
