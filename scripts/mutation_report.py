"""Summarise the last `make mutate`: killed / total over the named functions, then every mutant
that was not killed (see it with `.venv/bin/mutmut show NAME`).

Usage: python scripts/mutation_report.py 'shop.money.*' 'shop.orders.services.x_reserve_stock__mutmut_*' ...
"""

import fnmatch
import sys
from collections import Counter

from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files


def main(patterns: list[str]) -> int:
    statuses: dict[str, str] = {}
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            if any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
                statuses[name] = status_by_exit_code[exit_code]
    counts = Counter(statuses.values())
    total = len(statuses)
    killed = counts["killed"] + counts["timeout"]
    print(f"Mutation score: {killed} killed of {total} ({100 * killed / max(total, 1):.1f}%)")
    print("By status: " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    for name, status in sorted(statuses.items()):
        if status not in ("killed", "timeout"):
            print(f"  {status:<12} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
