#!/usr/bin/env bash
# Mutation testing of the domain (reconciler/domain/) with its unit tests (tests/unit/domain/), by mutmut.
# Prints the score and every surviving mutant's diff; takes about eight minutes on two cores.
#
#   bash scripts/mutation.sh            # run, then report
#   bash scripts/mutation.sh --report   # report the last run again
#
# A survivor is a missing test, unless it is equivalent (the code behaves the same): CONTRIBUTING.md lists the
# known equivalent ones. Configuration: [tool.mutmut] in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
mutmut=.venv/bin/mutmut
[ -x "$mutmut" ] || { echo "mutmut is not installed: .venv/bin/pip install -e '.[dev]'" >&2; exit 1; }
if [ "${1:-}" != "--report" ]; then
  rm -rf mutants
  "$mutmut" run >/dev/null 2>&1 || true  # its progress line is long; the results follow
fi
"$mutmut" results --all true 2>/dev/null > mutants/results.txt || "$mutmut" results > mutants/results.txt 2>/dev/null || true
total=$(grep -c "__mutmut_" mutants/results.txt || true)
"$mutmut" results 2>/dev/null > mutants/survivors.txt || true
survived=$(grep -cE ": (survived|no tests|suspicious)$" mutants/survivors.txt || true)
killed=$((total - survived))
echo "mutants: $total, killed: $killed, surviving: $survived, score: $(python3 -c "print(f'{100 * $killed / max($total, 1):.1f}%')")"
for name in $(grep -E ": (survived|no tests|suspicious)$" mutants/survivors.txt | cut -d: -f1); do
  echo "--- $name"
  "$mutmut" show "$name" 2>/dev/null | grep -E '^[-+][^-+]' || true
done
