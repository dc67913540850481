#!/usr/bin/env bash
# Health benchmark in one command: builds the bench module if needed, starts the whole local pipeline, then
# measures GET /health on the gateway (1) alone and (2) beside a steady CRM write load, with the health
# checks' own run counters before and after each window (answering /health must call no dependency), and
# (3) the time from PostgreSQL going down to /health 503 and from its return to 200. Prints a Markdown report,
# also written to bench/results/health-<date>.md. Options: bench/health.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

jar=bench/target/splitguard-bench.jar
# Other modules are built by whoever changes them; this rebuilds the bench module alone when its own sources
# changed, and with what it depends on only when nothing was built yet (BENCH_BUILD_ALL=1 forces that).
if [ ! -f "$jar" ] || [ ! -d bench/target/lib ] || [ -n "${BENCH_BUILD_ALL:-}" ]; then
  echo "[bench] building the bench module and what it depends on..."
  ./mvnw -q -B -o install -DskipTests -Dspotless.check.skip=true -pl bench -am \
    || ./mvnw -q -B install -DskipTests -Dspotless.check.skip=true -pl bench -am
elif [ -n "$(find bench/src bench/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "[bench] building the bench module..."
  ./mvnw -q -B -o install -DskipTests -Dspotless.check.skip=true -pl bench
fi

if ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] wrk not found; installing the Debian package..."
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get install -y wrk || { $sudo_cmd apt-get update && $sudo_cmd apt-get install -y wrk; }
fi

exec java ${BENCH_JAVA_OPTS:--Xmx512m -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} -Dlogback.configurationFile=bench-logback.xml -cp "$jar:bench/target/lib/*" \
  io.splitguard.bench.HealthBench "$@"
