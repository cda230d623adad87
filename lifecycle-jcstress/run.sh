#!/usr/bin/env bash
# Builds and runs the jcstress tests of the admission protocol; fails when any test observed a forbidden outcome or
# errored. Modes (see README.md): ci (the default, what scripts/test runs: jcstress "quick" without split
# compilation, 8 JVM configurations x 1 s per test, about 3-4 minutes on 2 idle cores), sanity (only checks that the
# tests run: it cannot find a race), quick, default, tough (the long mode: hours).
#   lifecycle-jcstress/run.sh [mode] [more jcstress options, e.g. -t EnterVersusClose]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ci}
shift || true
case "$mode" in
  ci) options=(-m quick -sc false) ;;
  sanity|quick|default|tough|stress) options=(-m "$mode") ;;
  *) echo "mode: '$mode' (expected: ci, sanity, quick, default, tough or stress)" >&2; exit 2 ;;
esac
mvn -B -q -ntp -Pjcstress -DskipTests -pl lifecycle-jcstress -am package
results=lifecycle-jcstress/target/jcstress-results
log=lifecycle-jcstress/target/jcstress-$mode.log
status=0
start=$(date +%s)
java -jar lifecycle-jcstress/target/jcstress.jar "${options[@]}" "$@" -r "$results" > "$log" 2>&1 || status=$?
seconds=$(( $(date +%s) - start ))
sed -n '/RUN RESULTS/,$p' "$log"
if [ "$status" -ne 0 ] || ! grep -q "Failed tests: No matches" "$log" || ! grep -q "Error tests: No matches" "$log"; then
  echo "jcstress: FAILED (status $status); see $log and $results/index.html" >&2
  exit 1
fi
planned=$(grep -o 'Results: [0-9]* planned; [0-9]* passed' "$log" | tail -n 1)
echo "jcstress ($mode): all passed ($planned) in ${seconds} s"
