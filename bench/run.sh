#!/usr/bin/env bash
# SplitGuard bench in one command: builds the bench module if needed, installs wrk if missing, then
# loads (A) a bare Micronaut POST, (B) a Micronaut POST producing to Kafka with acks=all and the
# SplitGuard gateway (full local pipeline) side by side, measures end-to-end latency, prints a
# Markdown report and writes it to bench/results/<date>.md. Options: bench/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

jar=bench/target/splitguard-bench.jar
stale() {
  [ ! -f "$jar" ] || [ ! -d bench/target/lib ] && return 0
  [ -n "$(find . \( -path ./local-data -o -path '*/target' -o -path ./.git \) -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -name '*.lua' -o -name '*.xml' -o -name '*.yml' -o -name '*.sql' \) \
      -newer "$jar" -print -quit)" ]
}
if stale; then
  echo "[bench] building the bench module and what it depends on..."
  ./mvnw -q -B -o install -DskipTests -Dspotless.check.skip=true -pl bench -am \
    || ./mvnw -q -B install -DskipTests -Dspotless.check.skip=true -pl bench -am
fi

if ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] wrk not found; installing the Debian package..."
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y wrk || { $sudo_cmd apt-get update && $sudo_cmd apt-get install -y wrk; }
fi

exec java ${BENCH_JAVA_OPTS:--Xmx1g} -Dlogback.configurationFile=bench-logback.xml -cp "$jar:bench/target/lib/*" io.splitguard.bench.BenchMain "$@"
