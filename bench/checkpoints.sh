#!/usr/bin/env bash
# Checkpoint benchmark in one command: builds the bench module if needed, starts the whole local pipeline
# (its checkpoint topology as a group member that a second instance can join), seeds N sessions with one
# checkpoint each through the gateway, reads GET .../state/latest at a fixed open-loop rate (steady, and while
# the checkpoint topology rebalances), and reports latency, write rates and memory per session in Markdown,
# also written to bench/results/checkpoints-<date>.md. Options: bench/checkpoints.sh --help
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

# The client's common pool gets 4 threads: with the default of CPUs - 1 (1 here) the JDK HttpClient starts a
# thread per response, which would make the load generator, not the pipeline, the cost being measured.
exec java ${BENCH_JAVA_OPTS:--Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} -Dlogback.configurationFile=bench-logback.xml -cp "$jar:bench/target/lib/*" \
  io.splitguard.bench.CheckpointBench "$@"
