"""The conformance table: per op and layer, how many of PyTorch's samples minidl passes.

    python -m tests.conformance.report                 # the table and the totals
    python -m tests.conformance.report --failures      # and one line per sample that fails
    python -m tests.conformance.report --only pool --failures
    python -m tests.conformance.report --json PATH     # everything, machine-readable
    python -m tests.conformance.report --missing       # op_db names minidl does not export
    python -m tests.conformance.report --markdown docs/conformance.md   # the page in docs/

Run from the repository root. See `tests.conformance` for what is compared and how.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from collections import Counter
from typing import Any

import torch

from . import moduleinfo, opinfo
from .compare import ATOL, RTOL
from .harness import CRASH, PASS, RANDOM, SKIPPED, STATUSES, UNSUPPORTED, WRONG, Outcome

COLUMNS = (PASS, WRONG, UNSUPPORTED, CRASH, SKIPPED)


def all_rows() -> list[tuple[str, str, Any]]:
    """(key, what minidl runs, a function giving the outcomes) for every op and layer row."""
    ops = [(r.key, r.target, lambda k=r.key: opinfo.results(k)) for r in opinfo.rows()]
    mods = [(r.key, r.target, lambda k=r.key: moduleinfo.results(k)) for r in moduleinfo.rows()]
    return ops + mods


def pass_rate(counts: Counter) -> float:
    """Passing samples over the samples torch could run (skipped ones do not count)."""
    ran = sum(counts[s] for s in STATUSES if s != SKIPPED)
    return counts[PASS] / ran if ran else 1.0


def _commit() -> str:
    """The commit of the checkout minidl is imported from, and whether minidl/ is edited."""
    import minidl

    where = os.path.dirname(os.path.dirname(os.path.abspath(minidl.__file__)))
    git = ["git", "-C", where]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "minidl"], capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes under minidl/" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", action="store_true", help="one line per failing sample")
    parser.add_argument("--json", metavar="PATH", help="write everything to PATH as JSON")
    parser.add_argument("--only", metavar="SUBSTRING", help="rows whose key contains it")
    parser.add_argument("--missing", action="store_true", help="list what is not exported")
    parser.add_argument("--markdown", metavar="PATH", help="write the table as a Markdown page")
    parser.add_argument(
        "--max-samples",
        type=int,
        default=opinfo.MAX_SAMPLES,
        help=f"samples per row, evenly spaced (default {opinfo.MAX_SAMPLES}; 0: all of them)",
    )
    args = parser.parse_args(argv)
    opinfo.MAX_SAMPLES = args.max_samples or 10**9

    start = time.perf_counter()
    table, totals = [], Counter()
    for key, target, results in all_rows():
        if args.only and args.only not in key:
            continue
        outcomes: tuple[Outcome, ...] = results()
        counts = Counter(o.status for o in outcomes)
        totals += counts
        table.append((key, target, outcomes, counts))
    seconds = time.perf_counter() - start

    import minidl

    print(f"minidl {minidl.__file__} at {_commit()}; torch {torch.__version__}")
    print(
        f"samples: PyTorch's OpInfo/ModuleInfo, float64, at most "
        f"{args.max_samples or 'all'} per row; rtol {RTOL:g}, atol {ATOL:g}\n"
    )
    width = max([len(k) for k, *_ in table] + [24])
    header = f"{'row':<{width}} {'samples':>7} " + " ".join(f"{c:>8.8}" for c in COLUMNS)
    print(header + "  pass%")
    print("-" * (len(header) + 7))
    for key, _, outcomes, counts in table:
        cells = " ".join(f"{counts[c]:>8}" for c in COLUMNS)
        print(f"{key:<{width}} {len(outcomes):>7} {cells} {100 * pass_rate(counts):6.1f}")
    print("-" * (len(header) + 7))
    n = sum(totals.values())
    cells = " ".join(f"{totals[c]:>8}" for c in COLUMNS)
    print(f"{'total':<{width}} {n:>7} {cells} {100 * pass_rate(totals):6.1f}")
    print(
        f"\n{len(table)} rows, {n} samples, {totals[PASS]} pass ({100 * pass_rate(totals):.1f}% "
        f"of those torch runs), {totals[WRONG]} wrong, {totals[UNSUPPORTED]} unsupported (clear), "
        f"{totals[CRASH]} crash (unclear), {totals[SKIPPED]} skipped; {seconds:.1f} s"
    )
    random = [(key, o) for key, _, outcomes, _ in table for o in outcomes if o.reason == RANDOM]
    if random:
        rows = sorted({key for key, _ in random})
        print(f"{len(random)} passing samples of random ops compared shapes/dtypes only: {rows}")
    if args.failures:
        print("\nfailures (status  row  sample  reason):")
        for key, _, outcomes, _ in table:
            for o in outcomes:
                if o.status != PASS:
                    print(f"  {o.status:<17} {key}  {o.sample}\n      {o.reason}")
    if args.missing:
        print("\nop_db names minidl exports neither as function nor as Tensor method:")
        print("  " + " ".join(opinfo.not_exported()))
        print("\nTensor methods missing for ops minidl has as functions:")
        print("  " + " ".join(opinfo.methods_missing()))
        print("\nmodule_db layers minidl.nn does not export:")
        print("  " + " ".join(moduleinfo.not_exported()))
    if args.json:
        _write_json(args.json, table, totals)
    if args.markdown:
        _write_markdown(args.markdown, table, totals, args.max_samples)


def _write_markdown(path: str, table: list, totals: Counter, max_samples: int) -> None:
    """The per-row table as a page: what runs, how many samples pass, why the rest do not."""
    lines = [
        "# minidl against PyTorch's own test cases",
        "",
        "Generated by `python -m tests.conformance.report --markdown docs/conformance.md`; do",
        "not edit by hand. Every row is an op of PyTorch's OpInfo database or a layer of its",
        "ModuleInfo database that minidl exports under the same name; its samples are PyTorch's",
        f"own (float64, at most {max_samples or 'all'} per row), called the same way in both",
        f"libraries. Forward values, changed inputs and gradients must agree to rtol {RTOL:g} /",
        f"atol {ATOL:g}. See [compatibility.md](compatibility.md) for what the columns mean.",
        "",
        f"**{totals[PASS]} of {sum(totals[c] for c in COLUMNS if c != SKIPPED)} samples pass "
        f"({100 * pass_rate(totals):.1f}%)** over {len(table)} rows; {totals[WRONG]} wrong, "
        f"{totals[UNSUPPORTED]} refused with a clear error, {totals[CRASH]} unclear crashes "
        f"({totals[SKIPPED]} skipped because PyTorch itself refuses them).",
        "",
        "| row | minidl | samples | pass | wrong | refused | crash | skipped | not passing, why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, target, outcomes, counts in table:
        reasons = sorted({o.reason.split("\n")[0][:90] for o in outcomes if o.status != PASS})
        why = "; ".join(r.replace("|", "\\|") for r in reasons[:2])
        cells = " | ".join(str(counts[c]) for c in COLUMNS)
        lines.append(f"| `{key}` | `{target}` | {len(outcomes)} | {cells} | {why} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _write_json(path: str, table: list, totals: Counter) -> None:
    rows = [
        {
            "row": key,
            "target": target,
            "samples": len(outcomes),
            **{c: counts[c] for c in COLUMNS},
            "failures": [o.__dict__ for o in outcomes if o.status != PASS],
            "random_shape_only": sum(o.reason == RANDOM for o in outcomes),
        }
        for key, target, outcomes, counts in table
    ]
    doc = {
        "commit": _commit(),
        "torch": torch.__version__,
        "max_samples_per_row": opinfo.MAX_SAMPLES if opinfo.MAX_SAMPLES < 10**9 else None,
        "rtol": RTOL,
        "atol": ATOL,
        "totals": {"samples": sum(totals.values()), **{c: totals[c] for c in COLUMNS}},
        "pass_rate": pass_rate(totals),
        "rows": rows,
        "not_exported_ops": opinfo.not_exported(),
        "methods_missing": opinfo.methods_missing(),
        "not_exported_modules": moduleinfo.not_exported(),
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
