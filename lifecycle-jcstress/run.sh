#!/usr/bin/env bash
# Builds and runs the jcstress tests of the admission protocol; fails when any test observed a forbidden outcome or
# errored. Mode: sanity (CI, about a minute on 2 cores), quick, default, tough (the long mode: hours).
#   lifecycle-jcstress/run.sh [mode]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-sanity}
mvn -B -q -ntp -Pjcstress -DskipTests -pl lifecycle-jcstress -am package
results=lifecycle-jcstress/target/jcstress-results
log=lifecycle-jcstress/target/jcstress-$mode.log
status=0
java -jar lifecycle-jcstress/target/jcstress.jar -m "$mode" -r "$results" > "$log" 2>&1 || status=$?
sed -n '/RUN RESULTS/,$p' "$log"
if [ "$status" -ne 0 ] || ! grep -q "Failed tests: No matches" "$log" || ! grep -q "Error tests: No matches" "$log"; then
  echo "jcstress: FAILED (status $status); see $log and $results/index.html" >&2
  exit 1
fi
planned=$(grep -o 'Results: [0-9]* planned; [0-9]* passed' "$log" | tail -n 1)
echo "jcstress ($mode): all passed ($planned)"
