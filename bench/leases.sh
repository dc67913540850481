#!/usr/bin/env bash
# Lease benchmark in one command: builds the bench module if needed, starts its own redis-server (loopback,
# free port, no persistence unless --redis-durability says otherwise), a Micronaut endpoint doing the Redis
# SET NX PX / Lua compare-and-delete lock behind the same routes and JSON as SplitGuard's lease API, and the
# whole local pipeline; then loads both side by side (closed loop, c = 1, 16, 64, windows in the order
# SplitGuard, Redis, Redis, SplitGuard) and reports acquire and release round trips/s, p50/p99 and ratios in
# Markdown, also written to bench/results/leases-<date>.md. Options: bench/leases.sh --help
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

# Not installed here on purpose: Debian's package also enables a system redis-server on port 6379, which a
# benchmark should not leave behind. The harness starts its own and says the same if it cannot find one.
case " $* " in
  *" --redis-server="*|*" --help "*|*" -h "*) ;;
  *)
    if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ] && [ ! -x /usr/sbin/redis-server ]; then
      echo "[bench] redis-server not found: install the Debian package redis-server (apt-get install -y redis-server)" >&2
      echo "        or pass --redis-server=/path/to/redis-server" >&2
      exit 2
    fi
    ;;
esac

# As in checkpoints.sh: 4 threads for the common pool, so the JDK HttpClient of the clients does not start a
# thread per response on a 2-CPU machine.
exec java ${BENCH_JAVA_OPTS:--Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4} -Dlogback.configurationFile=bench-logback.xml -cp "$jar:bench/target/lib/*" \
  io.splitguard.bench.LeaseBench "$@"
