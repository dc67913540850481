package io.splitguard.topology.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.LeaseDecision;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random command sequences against the real topology, checked only from what it publishes (decisions
 * and audit records): at no decision are there two live holders of one resource, fencing tokens of
 * successive grants increase strictly, only the current holder is ever extended, and every lease that
 * ended early was overridden only after the stale threshold.
 */
class LeaseInvariantTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration STALE = Duration.ofSeconds(15);
    private static final List<String> REGIONS = List.of("eu-west", "us-east", "ap-south");
    private static final List<String> RESOURCES = List.of("s1", "s2", "s3");

    @TempDir
    Path stateDir;

    /** One lease as seen from outside: from its grant until it expires, is released or overridden. */
    private static final class Lease {
        final String token;
        final long fencing;
        Instant lastHeartbeat;
        Instant expiresAt;
        Instant endedAt;

        Lease(LeaseDecision grant) {
            this.token = grant.lockToken();
            this.fencing = grant.fencingToken();
            this.lastHeartbeat = grant.decidedAt();
            this.expiresAt = grant.expiresAt();
        }

        boolean liveAt(Instant t) {
            return endedAt == null && t.isBefore(expiresAt);
        }
    }

    private final Map<String, List<Lease>> byResource = new HashMap<>();
    private final Map<String, Long> lastFencing = new HashMap<>();
    private int grants;
    private int overrides;

    @Test
    void shouldNeverHaveTwoLiveHoldersOfOneResourceWhenRandomCommandSequencesRun() {
        for (long seed = 1; seed <= 6; seed++) {
            byResource.clear();
            lastFencing.clear();
            Map<String, String> settings = seed % 2 == 0 ? Map.of() : Map.of("SPLITGUARD_LEASE_LOCK_DELAY", "PT0S");
            try (LeaseDriver l = new LeaseDriver(stateDir.resolve("run" + seed), T0, settings)) {
                run(l, new Random(seed), 400);
            }
        }
        assertThat(grants).as("grants").isGreaterThan(100);
        assertThat(overrides).as("overrides").isGreaterThan(5);
    }

    private void run(LeaseDriver l, Random random, int steps) {
        Map<String, String> lastCorrelation = new HashMap<>();
        for (int step = 0; step < steps; step++) {
            int pause = random.nextInt(10);
            if (pause < 6) {
                l.advance(Duration.ofMillis(random.nextInt(pause < 3 ? 1_000 : 9_000)));
            }
            String resource = RESOURCES.get(random.nextInt(RESOURCES.size()));
            String region = REGIONS.get(random.nextInt(REGIONS.size()));
            List<Lease> known = byResource.getOrDefault(resource, List.of());
            String token = known.isEmpty()
                    ? "never-granted"
                    : known.get(random.nextInt(3) == 0 ? random.nextInt(known.size()) : known.size() - 1).token;
            LeaseDecision decision;
            switch (random.nextInt(4)) {
                case 0 -> {
                    String key = region + "/" + resource;
                    String correlation = random.nextBoolean() && lastCorrelation.containsKey(key)
                            ? lastCorrelation.get(key)
                            : UUID.randomUUID().toString();
                    lastCorrelation.put(key, correlation);
                    decision = l.acquire(resource, region, Duration.ofSeconds(2 + random.nextInt(30)), correlation);
                }
                case 1, 2 -> decision = l.heartbeat(resource, token);
                default -> decision = l.release(resource, token);
            }
            check(l.now(), l.audit.readValuesToList(), decision);
        }
    }

    private void check(Instant now, List<AuditRecord> audits, LeaseDecision decision) {
        for (AuditRecord audit : audits) {
            switch (audit.decision()) {
                case LEASE_RELEASED, LEASE_EXPIRED, LEASE_OVERRIDDEN -> {
                    Lease lease = byFencing(audit.sessionId(), audit.sequence());
                    assertThat(lease.endedAt).as("ended twice: %s", audit).isNull();
                    if (audit.decision() == AuditRecord.Decision.LEASE_EXPIRED) {
                        assertThat(audit.at()).isEqualTo(lease.expiresAt).isBeforeOrEqualTo(now);
                        lease.endedAt = lease.expiresAt;
                    } else {
                        assertThat(lease.liveAt(now))
                                .as("ending a lease that is not live: %s", audit)
                                .isTrue();
                        if (audit.decision() == AuditRecord.Decision.LEASE_OVERRIDDEN) {
                            assertThat(lease.lastHeartbeat.plus(STALE)).isBeforeOrEqualTo(now);
                            overrides++;
                        }
                        lease.endedAt = now;
                    }
                }
                default -> {}
            }
        }
        String resource = decision.resourceId();
        List<Lease> leases = byResource.computeIfAbsent(resource, r -> new ArrayList<>());
        Lease current = leases.isEmpty() ? null : leases.get(leases.size() - 1);
        switch (decision.outcome()) {
            case GRANTED -> {
                if (current != null && current.token.equals(decision.lockToken())) {
                    // an idempotent retry: the very same grant, still live
                    assertThat(current.liveAt(now)).isTrue();
                    assertThat(decision.fencingToken()).isEqualTo(current.fencing);
                    assertThat(decision.expiresAt()).isEqualTo(current.expiresAt);
                } else {
                    assertThat(leases)
                            .as("another live holder of %s at %s", resource, now)
                            .noneMatch(lease -> lease.liveAt(now));
                    assertThat(decision.fencingToken())
                            .as("fencing token of a new grant of %s", resource)
                            .isGreaterThan(lastFencing.getOrDefault(resource, -1L));
                    if (decision.overrode() != null) {
                        Lease overridden =
                                byFencing(resource, decision.overrode().fencingToken());
                        assertThat(overridden.endedAt).isNotNull();
                        assertThat(overridden.token)
                                .isEqualTo(decision.overrode().lockToken());
                    }
                    lastFencing.put(resource, decision.fencingToken());
                    leases.add(new Lease(decision));
                    grants++;
                }
            }
            case EXTENDED -> {
                assertThat(current).isNotNull();
                assertThat(decision.lockToken()).isEqualTo(current.token);
                assertThat(current.liveAt(now))
                        .as("extending a lease that is over")
                        .isTrue();
                current.lastHeartbeat = now;
                current.expiresAt = decision.expiresAt();
            }
            case RELEASED -> {
                assertThat(current).isNotNull();
                assertThat(decision.fencingToken()).isEqualTo(current.fencing);
                assertThat(current.endedAt).isEqualTo(now);
            }
            case LOST, NOT_HOLDER, CONFLICT -> {
                long live = leases.stream().filter(lease -> lease.liveAt(now)).count();
                assertThat(live).isLessThanOrEqualTo(1);
            }
        }
        assertThat(leases.stream().filter(lease -> lease.liveAt(now)).count())
                .as("live holders of %s", resource)
                .isLessThanOrEqualTo(1);
    }

    private Lease byFencing(String resource, long fencing) {
        return byResource.getOrDefault(resource, List.of()).stream()
                .filter(lease -> lease.fencing == fencing)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no lease of " + resource + " with fencing token " + fencing));
    }
}
