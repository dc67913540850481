#!/usr/bin/env bash
# Runs the chaos harness: chaos/run.sh [--profile short|long] [--seed N] [--runs N] [--out DIR]
# Needs root (network namespaces), iproute2 and the PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v ip >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q iproute2
fi
./mvnw -q -B -DskipTests -Dspotless.check.skip=true install -pl chaos -am
./mvnw -q -B -o dependency:build-classpath -pl chaos -Dmdep.outputFile=target/classpath.txt
exec java -Xmx1g -cp "chaos/target/classes:$(cat chaos/target/classpath.txt)" io.splitguard.chaos.ChaosMain "$@"
