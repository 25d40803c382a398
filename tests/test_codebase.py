"""The shape of the code a newcomer reads: modules keep their private names to themselves,
workflow scripts stay thin adapters, and a table has one name from its file to its rule."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "servqual"
SCRIPTS = sorted((ROOT / "workflow" / "scripts").glob("*.py"))
RULES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(path: Path) -> list[str]:
    """Where the module at ``path`` uses another servqual module's private (``_``) name: imported
    by name (``from servqual.x import _y``, relative imports included) or reached as an attribute
    of a module it imported (``import servqual.x as x; x._y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("servqual")):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                elif node.module == "servqual":
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("servqual")}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_private_import_check_finds_both_forms(tmp_path):
    module = tmp_path / "servqual" / "m.py"
    module.parent.mkdir()
    module.write_text("from servqual.reliability import _alpha\nfrom servqual import efa\nefa._rotate(1)\n")
    assert private_imports(module) == ["line 1: from servqual.reliability import _alpha", "line 3: efa._rotate"]


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=module_name)
def test_no_module_imports_a_private_name_of_another(path):
    assert private_imports(path) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_workflow_script_is_a_thin_adapter(path):
    """Under 40 lines, its step begun first (servqual.adapters.begin_step: warm worker, log), no lint exceptions."""
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 40, f"{path.name}: {len(text.splitlines())} lines"
    body = ast.parse(text).body
    assert isinstance(body[1], ast.ImportFrom) and body[1].module == "servqual.adapters", path.name
    assert ast.unparse(body[2]).startswith("begin_step(snakemake.log[0]"), path.name
    assert "noqa" not in text


def rule_outputs() -> list[tuple[str, str, str]]:
    """(rule, output key, path) of every named output of every rule."""
    found = []
    for path in RULES:
        text = path.read_text(encoding="utf-8")
        for rule, block in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, re.MULTILINE | re.DOTALL):
            outputs = re.search(r"^    output:\n(.*?)^    \w+:", block, re.MULTILINE | re.DOTALL)
            named = re.findall(r'^        (\w+)=(?:report\(\s*)?"([^"]+)"', outputs.group(1) if outputs else "", re.MULTILINE)
            found += [(rule, key, target) for key, target in named]
    return found


def test_every_table_has_one_name_for_its_file_and_its_output_key():
    tables = [(rule, key, target) for rule, key, target in rule_outputs() if target.endswith(".csv")]
    assert len(tables) > 40
    assert [(rule, key, target) for rule, key, target in tables if Path(target).stem != key] == []


def test_importing_the_package_or_the_log_helper_loads_no_heavy_library():
    """Every job imports these first: numpy, pandas, scipy and matplotlib only come with the
    modules that use them (the public names of ``servqual`` are imported on first use)."""
    code = ("import sys, servqual, servqual.adapters; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(LIBRARY.parent)})
    assert out.stdout.strip() == "[]"


#: Computations whose distributions come from servqual.distributions, not scipy.stats: the
#: close-fit p-values (noncentral chi-square upper tail, ML and MLR), Games-Howell's p (the
#: studentized range) and the complaint trend's exact binomial test; each with the number it gives.
WITHOUT_SCIPY_STATS = {
    "fit indices": (
        "from servqual.sem.fit import fit_indices; "
        "x = round(fit_indices(85.30552, 24, 918.8516, 36, 301).rmsea_pclose, 6)",
        "0.000661",
    ),
    "robust fit indices": (
        "from servqual.sem.robust import robust_fit_indices; "
        "x = round(robust_fit_indices(85.30552, 24, 0.9790424, 918.8516, 36, 1.0440526, 301).rmsea_robust_pclose, 6)",
        "0.000515",
    ),
    "Games-Howell": (
        "from servqual.segments import games_howell; "
        "x = round(games_howell({'a': [1, 2, 3, 4], 'b': [2, 4, 6, 9], 'c': [0, 1, 1, 3]}).p[0], 6)",
        "0.312378",
    ),
    "exact binomial test": (
        "import pandas as pd; from servqual.complaints import half_trend; "
        "x = f'{half_trend(pd.Series([30, 28, 31, 12, 10, 11]))[3]:.6g}'",
        "4.04035e-07",
    ),
}


@pytest.mark.parametrize("computation", WITHOUT_SCIPY_STATS)
def test_computations_whose_distributions_do_not_load_scipy_stats(computation):
    """The steps that fit a model, compare segments or count complaints do not pay for
    scipy.stats (0.5 to 1 s to import)."""
    code, expected = WITHOUT_SCIPY_STATS[computation]
    out = subprocess.run([sys.executable, "-c", f"import sys; {code}; print(x, 'scipy.stats' in sys.modules)"],
                         capture_output=True, text=True, check=True, env={"PYTHONPATH": str(LIBRARY.parent)})
    assert out.stdout.split() == [expected, "False"]


#: Library modules and the heavy modules a step importing them does not need: the distribution
#: functions come from scipy.special (servqual.distributions), so no step loads scipy.stats (0.5
#: to 1 s); the KPI and export steps do not load the SEM engine.
LIGHT_IMPORTS = {
    "servqual.sem": ("scipy",),
    "servqual.sem.fit": ("scipy.stats", "servqual.sem.missing", "servqual.sem.robust"),
    "servqual.cfa": ("scipy.stats",),
    "servqual.invariance": ("scipy.stats",),
    "servqual.ep_invariance": ("scipy.stats",),
    "servqual.structural": ("scipy.stats",),
    "servqual.efa": ("scipy.stats",),
    "servqual.reliability": ("scipy.stats", "scipy.optimize"),
    "servqual.survey": ("scipy.stats", "scipy.optimize"),
    "servqual.complaints": ("scipy",),
    "servqual.binomial_test": ("scipy.stats",),
    "servqual.segments": ("scipy.stats",),
    "servqual.sem.robust": ("scipy.stats",),
    "servqual.priorities": ("scipy.stats",),
    "servqual.kpi": ("scipy.stats", "servqual.sem"),
    "servqual.actions": ("scipy.stats",),
    "servqual.waves": ("scipy.stats", "servqual.sem"),
    "servqual.lavaan": ("scipy", "servqual.cfa"),
}


@pytest.mark.parametrize("module", LIGHT_IMPORTS)
def test_importing_a_module_loads_only_what_its_steps_need(module):
    code = f"import sys, {module}; print(sorted(m for m in {LIGHT_IMPORTS[module]!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(LIBRARY.parent)})
    assert out.stdout.strip() == "[]"
