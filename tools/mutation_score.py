"""The mutation score per module, from the last `mutmut run` (make mutation).

Reads mutmut's results under mutants/ and the equivalent mutants listed in
mutation-equivalents.txt (mutants that cannot change behaviour, each with why), and prints per
module: mutants, killed, equivalent, survived, not reached by any unit test, and the score
(killed / (mutants - equivalent)). Then every survivor not listed as equivalent, and every listed
equivalent that is stale (unknown now, or killed: then it was not equivalent).

    python tools/mutation_score.py [--min 90]

With --min, exits 1 when a module scores below it (or a survivor is unlisted there).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "mutation-equivalents.txt"

# mutmut's exit codes per mutant (mutmut/stats.py): what the tests made of it.
KILLED = {1, 3, 36, 24, -24, 152, 255}  # a failing test, pytest's internal error, or a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Module:
    name: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    no_tests: int = 0
    unchecked: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return self.mutants - self.equivalent

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def load_equivalents(path: Path) -> dict[str, str]:
    """Mutant name -> why it cannot change behaviour. Lines: `name  why`; # starts a comment."""
    listed: dict[str, str] = {}
    if not path.exists():
        return listed
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, why = line.partition(" ")
        if not why.strip():
            raise SystemExit(f"{path.name}: {name} has no reason given")
        listed[name] = why.strip()
    return listed


def module_name(meta: Path) -> str:
    relative = meta.relative_to(MUTANTS / "src").with_suffix("").with_suffix("")
    return ".".join(relative.parts)


def collect(equivalents: dict[str, str]) -> tuple[list[Module], list[str]]:
    modules: list[Module] = []
    seen: dict[str, int | None] = {}
    for meta in sorted((MUTANTS / "src").rglob("*.py.meta")):
        results: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if not results:
            continue
        module = Module(module_name(meta))
        for name, code in results.items():
            seen[name] = code
            module.mutants += 1
            if code in KILLED:
                module.killed += 1
            elif name in equivalents:
                module.equivalent += 1
            elif code in NO_TESTS:
                module.no_tests += 1
                module.survivors.append(name)
            elif code is None:
                module.unchecked += 1
                module.survivors.append(name)
            else:  # survived, or anything mutmut calls suspicious
                module.survivors.append(name)
        modules.append(module)
    stale = [
        f"{name}: {'not a mutant now' if name not in seen else 'killed, so not equivalent'}"
        for name in equivalents
        if name not in seen or seen[name] in KILLED
    ]
    return modules, stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=None, help="lowest score allowed per module")
    args = parser.parse_args()
    if not MUTANTS.exists():
        print("no mutants/ yet: run `make mutation` (or `mutmut run`) first", file=sys.stderr)
        return 2
    modules, stale = collect(load_equivalents(EQUIVALENTS))
    header = (
        f"{'module':34} {'mutants':>7} {'killed':>7} {'equiv':>6} {'survived':>8}"
        f" {'no test':>7} {'score':>7}"
    )
    print(header)
    print("-" * len(header))
    total = Module("all")
    for m in modules:
        survived = len(m.survivors) - m.no_tests - m.unchecked
        print(
            f"{m.name:34} {m.mutants:>7} {m.killed:>7} {m.equivalent:>6} {survived:>8}"
            f" {m.no_tests:>7} {m.score:>6.1f}%"
        )
        total.mutants += m.mutants
        total.killed += m.killed
        total.equivalent += m.equivalent
        total.no_tests += m.no_tests
        total.unchecked += m.unchecked
        total.survivors += m.survivors
    print("-" * len(header))
    survived = len(total.survivors) - total.no_tests - total.unchecked
    print(
        f"{'all':34} {total.mutants:>7} {total.killed:>7} {total.equivalent:>6} {survived:>8}"
        f" {total.no_tests:>7} {total.score:>6.1f}%"
    )
    if total.unchecked:
        print(f"\n{total.unchecked} mutants not checked yet: the run did not finish")
    if total.survivors:
        print("\nSurvivors not listed as equivalent (`mutmut show NAME` shows each):")
        for name in total.survivors:
            print(f"  {name}")
    if stale:
        print(f"\nStale entries in {EQUIVALENTS.name}:")
        for line in stale:
            print(f"  {line}")
    if args.min is not None:
        low = [m.name for m in modules if m.score < args.min]
        if low:
            print(f"\nBelow {args.min:g} %: {', '.join(low)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
