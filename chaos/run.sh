#!/usr/bin/env bash
# Runs the chaos harness: chaos/run.sh [--profile short|long] [--seed N] [--runs N] [--out DIR] [--kinds KIND,...]
# Needs root (network namespaces, tmpfs mounts), iproute2 (PostgreSQL comes from the machine or with the build); the long
# profile (GATEWAY_CLOCK_SKEW) also needs libfaketime (Debian package faketime).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ip >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q iproute2
fi
if [[ " $* " == *" long "* || " $* " == *GATEWAY_CLOCK_SKEW* ]] && ! ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q faketime
fi
./mvnw -q -B -DskipTests -Dspotless.check.skip=true install -pl chaos -am
./mvnw -q -B -o dependency:build-classpath -pl chaos -Dmdep.outputFile=target/classpath.txt
# run from a copy, so a build during a long run cannot pull classes from under it
copy=$(mktemp -d /tmp/splitguard-chaos-XXXXXX)
cp chaos/target/chaos-*.jar "$copy/chaos.jar"
exec java -Xmx1g -cp "$copy/chaos.jar:$(cat chaos/target/classpath.txt)" io.splitguard.chaos.ChaosMain "$@"
