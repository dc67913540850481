#!/usr/bin/env bash
# Storm benchmark in one command: builds the bench module if needed, starts the whole local pipeline with
# Genesys deliveries authenticated by signature, then on that one pipeline measures (1) a steady CRM load at a
# fixed rate alone, (2) the same load while one signed Genesys notification is delivered up to 100,000 times,
# (3) the signed webhook endpoint's throughput beside the CRM endpoint's. Prints a Markdown report, also
# written to bench/results/storm-<date>.md. Options: bench/storm.sh --help
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

# As in checkpoints.sh: 4 threads for the common pool, so the JDK HttpClient of the steady load does not
# start a thread per response on a 2-CPU machine.
exec java ${BENCH_JAVA_OPTS:--Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} -Dlogback.configurationFile=bench-logback.xml -cp "$jar:bench/target/lib/*" \
  io.splitguard.bench.StormBench "$@"
