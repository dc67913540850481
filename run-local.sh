#!/usr/bin/env bash
# Builds SplitGuard if needed and runs the whole pipeline locally (embedded Kafka, throwaway PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")"
jar=launcher/target/splitguard-local.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./local-data -prune -o -newer "$jar" -name '*.java' -print -quit)" ]; then
  ./mvnw -q -B -DskipTests -Dspotless.check.skip=true package -pl launcher -am
fi
# the services log JSON by default; a terminal reads text better (SPLITGUARD_LOG_FORMAT=json to see JSON)
export SPLITGUARD_LOG_FORMAT="${SPLITGUARD_LOG_FORMAT:-text}"
exec java ${JAVA_OPTS:-} -jar "$jar" "$@"
