"""Write ``example_tables.json.gz``: every table of the example study, as the workflow wrote it.

``tests/test_example_tables.py`` compares each table of a fresh run of the example with this
snapshot (text equal, numbers to 1e-9), so that a change meant to make the workflow faster or
tidier cannot change a number unnoticed. A change that is meant to change a table (a new column,
a corrected formula) regenerates the snapshot with this script and says so in its commit.

The snapshot holds each table's CSV text under its path (``reports/wave1/tables/gaps_items.csv``),
in gzip with a fixed time stamp, so the same tables give the same bytes.

Run from the repository root: ``python tests/data/example_tables.py`` (runs the workflow's
analyses on the example in a temporary copy, with the tests' salt), or
``python tests/data/example_tables.py --from DIR`` to take the tables of a finished run in DIR.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("example_tables.json.gz")
sys.path.insert(0, str(ROOT / "tests"))

from studies import STUDY, WORKFLOW, copy_tree

#: The jobs that write no table, left out of the run (as the BLAS-kernel test does).
NO_TABLES = ["--omit-from", "figures", "provenance", "report_wave", "report_waves", "apa_tables", "exports"]


def table_texts(root: Path) -> dict[str, str]:
    """Every table of the run in ``root`` as {path relative to root: CSV text}."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((root / "reports").rglob("tables/*.csv"))
    }


def read_snapshot(path: Path = SNAPSHOT) -> dict[str, str]:
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


def write_snapshot(tables: dict[str, str], path: Path = SNAPSHOT) -> None:
    text = json.dumps(tables, ensure_ascii=False, indent=0, sort_keys=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def run_example(root: Path) -> None:
    copy_tree(WORKFLOW + STUDY, root)
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *NO_TABLES],
        cwd=root, capture_output=True, text=True, check=False, env={**os.environ, "SERVQUAL_SALT": "test-salt"},
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-5000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", help="a finished run of the example (salt test-salt)")
    args = parser.parse_args()
    if args.source:
        tables = table_texts(Path(args.source))
    else:
        with tempfile.TemporaryDirectory(prefix="servqual-snapshot-") as folder:
            run_example(Path(folder))
            tables = table_texts(Path(folder))
    write_snapshot(tables)
    print(f"{SNAPSHOT.relative_to(ROOT)}: {len(tables)} tables")


if __name__ == "__main__":
    main()
