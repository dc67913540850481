package io.splitguard.topology.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.LeaseDecision.Outcome;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.LeaseView;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DeadLetters;
import io.splitguard.topology.processor.DedupNodes;
import io.splitguard.topology.processor.LeaseRules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseTopologyTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Map<String, String> NO_LOCK_DELAY = Map.of(DedupConfig.LEASE_LOCK_DELAY, "PT0S");

    @TempDir
    Path stateDir;

    @TempDir
    Path otherStateDir;

    @TempDir
    Path wipedStateDir;

    private LeaseDriver leases;

    private LeaseDriver start(Map<String, String> settings) {
        leases = new LeaseDriver(stateDir, T0, settings);
        return leases;
    }

    @AfterEach
    void close() {
        if (leases != null) {
            leases.close();
        }
    }

    private static List<AuditRecord.Decision> decisionsOf(List<AuditRecord> audits) {
        return audits.stream().map(AuditRecord::decision).toList();
    }

    @Test
    void shouldGrantAFreeResourceWithANewTokenAndOneMoreThanTheCommandsOffsetAsFencingTokenWhenAcquired() {
        LeaseDriver l = start(Map.of());
        l.fillLogTo(7);

        LeaseDecision granted = l.acquire("s1", "eu-west", TTL, "c1");

        assertThat(granted.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(granted.succeeded()).isTrue();
        assertThat(granted.lockToken()).isNotBlank();
        assertThat(granted.fencingToken()).isEqualTo(8);
        assertThat(granted.holderRegion()).isEqualTo("eu-west");
        assertThat(granted.expiresAt()).isEqualTo(T0.plus(TTL));
        assertThat(granted.correlationId()).isEqualTo("c1");
        assertThat(granted.overrode()).isNull();
        assertThat(granted.decidedAt()).isEqualTo(T0);
        assertThat(l.store().get("s1").lockToken()).isEqualTo(granted.lockToken());
        assertThat(l.audit.readValuesToList()).singleElement().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(AuditRecord.Decision.LEASE_GRANTED);
            assertThat(a.sessionId()).isEqualTo("s1");
            assertThat(a.sequence()).isEqualTo(8);
            assertThat(a.detail()).contains("eu-west").doesNotContain(granted.lockToken());
        });
    }

    @Test
    void shouldAnswerConflictWithTheHoldersRegionExpiryAndRetryAfterWhenAnotherRegionAcquiresALiveLease() {
        LeaseDriver l = start(Map.of());
        LeaseDecision granted = l.acquire("s1", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(4));

        LeaseDecision conflict = l.acquire("s1", "us-east", TTL, "c2");
        LeaseDecision sameRegion = l.acquire("s1", "eu-west", TTL, "c3");

        assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(conflict.succeeded()).isFalse();
        assertThat(conflict.holderRegion()).isEqualTo("eu-west");
        assertThat(conflict.expiresAt()).isEqualTo(granted.expiresAt());
        // another region could override once the holder is 15 s silent, then wait the 5 s lock-delay
        assertThat(conflict.retryAfterMs())
                .isEqualTo(Duration.ofSeconds(15 + 5 - 4).toMillis());
        assertThat(conflict.lockToken()).isNull();
        assertThat(conflict.fencingToken()).isNull();
        assertThat(sameRegion.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(sameRegion.retryAfterMs())
                .isEqualTo(Duration.ofSeconds(30 + 5 - 4).toMillis());
        assertThat(l.store().get("s1").lockToken()).isEqualTo(granted.lockToken());
        assertThat(l.audit.readValuesToList())
                .filteredOn(a -> a.decision() == AuditRecord.Decision.LEASE_REFUSED)
                .hasSize(2)
                .allSatisfy(a -> assertThat(a.detail()).startsWith("conflict:"));
    }

    @Test
    void shouldMoveTheExpiryWhenTheHolderHeartbeatsAndAnswerLostToAnyOtherToken() {
        LeaseDriver l = start(Map.of());
        LeaseDecision granted = l.acquire("s1", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(5));

        LeaseDecision extended = l.heartbeat("s1", granted.lockToken());
        LeaseDecision lost = l.heartbeat("s1", "someone-elses-token");

        assertThat(extended.outcome()).isEqualTo(Outcome.EXTENDED);
        assertThat(extended.expiresAt()).isEqualTo(T0.plusSeconds(5).plus(TTL));
        assertThat(extended.lockToken()).isEqualTo(granted.lockToken());
        assertThat(extended.fencingToken()).isEqualTo(granted.fencingToken());
        assertThat(l.store().get("s1").lastHeartbeatAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(lost.outcome()).isEqualTo(Outcome.LOST);
        assertThat(lost.lockToken()).isNull();
        assertThat(lost.holderRegion()).isEqualTo("eu-west");
        // the lease outlives its first expiry because it was extended
        l.advance(Duration.ofSeconds(29));
        assertThat(l.heartbeat("s1", granted.lockToken()).outcome()).isEqualTo(Outcome.EXTENDED);
    }

    @Test
    void shouldFreeTheResourceAtOnceWhenTheHolderReleasesAndRefuseAReleaseWithAnotherToken() {
        LeaseDriver l = start(Map.of());
        LeaseDecision granted = l.acquire("s1", "eu-west", TTL, "c1");

        LeaseDecision notHolder = l.release("s1", "wrong");
        LeaseDecision released = l.release("s1", granted.lockToken());
        LeaseDecision next = l.acquire("s1", "us-east", TTL, "c2");

        assertThat(notHolder.outcome()).isEqualTo(Outcome.NOT_HOLDER);
        assertThat(released.outcome()).isEqualTo(Outcome.RELEASED);
        assertThat(released.fencingToken()).isEqualTo(granted.fencingToken());
        assertThat(next.outcome()).isEqualTo(Outcome.GRANTED); // no lock-delay after a clean release
        assertThat(next.fencingToken()).isGreaterThan(granted.fencingToken());
        assertThat(l.release("s1", granted.lockToken()).outcome()).isEqualTo(Outcome.NOT_HOLDER);
        assertThat(decisionsOf(l.audit.readValuesToList()))
                .containsExactly(
                        AuditRecord.Decision.LEASE_GRANTED,
                        AuditRecord.Decision.LEASE_REFUSED,
                        AuditRecord.Decision.LEASE_RELEASED,
                        AuditRecord.Decision.LEASE_GRANTED,
                        AuditRecord.Decision.LEASE_REFUSED);
    }

    @Test
    void shouldFreeAuditAndPurgeAnExpiredLeaseWhenTheWallClockPassesItsExpiryWithoutAnyCommand() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_FENCE_RETENTION, "PT1M"));
        LeaseDecision granted = l.acquire("s1", "eu-west", Duration.ofSeconds(10), "c1");
        l.audit.readValuesToList();

        l.advance(Duration.ofSeconds(9));
        assertThat(l.audit.readValuesToList()).isEmpty();
        assertThat(l.store().get("s1").isHeld()).isTrue();

        l.advance(Duration.ofSeconds(2));
        assertThat(l.audit.readValuesToList()).singleElement().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(AuditRecord.Decision.LEASE_EXPIRED);
            assertThat(a.sequence()).isEqualTo(granted.fencingToken());
            assertThat(a.at()).isEqualTo(granted.expiresAt());
        });
        assertThat(l.store().get("s1").isHeld()).isFalse(); // lock-delay running
        assertThat(l.heartbeat("s1", granted.lockToken()).outcome()).isEqualTo(Outcome.LOST);

        l.advance(Duration.ofSeconds(5));
        // free, and remembered as a fence (its token) for the fence retention
        assertThat(l.store().get("s1").isHeld()).isFalse();
        assertThat(l.store().get("s1").fencingToken()).isEqualTo(granted.fencingToken());
        assertThat(l.describe("s1").lease().state()).isEqualTo(LeaseView.State.FREE);

        l.advance(Duration.ofSeconds(61));
        assertThat(l.store().get("s1")).isNull();
        assertThat(l.entries()).isZero();
    }

    /**
     * The chaos finding: a grant nobody used (its client had given up on the answer) expired, its entry went
     * when the lock-delay ended, and the previous holder's write with its older token then passed. With the
     * token remembered as a fence it is refused; with the retention at zero (the old behaviour) it applies.
     */
    @Test
    void shouldFenceTheOldHoldersWriteWhenTheNewerGrantExpiredUnusedAndItsLockDelayEnded() {
        assertThat(oldHoldersWriteAfterAnUnusedGrantExpired(Map.of())).isEqualTo(AuditRecord.Decision.FENCED);
    }

    @Test
    void shouldLetTheOldHoldersWriteThroughWhenTheFenceRetentionIsZero() {
        assertThat(oldHoldersWriteAfterAnUnusedGrantExpired(Map.of(DedupConfig.LEASE_FENCE_RETENTION, "PT0S")))
                .isEqualTo(AuditRecord.Decision.APPLIED);
    }

    /** The verdict on eu-west's write with its token after us-east's later grant expired unused. */
    private AuditRecord.Decision oldHoldersWriteAfterAnUnusedGrantExpired(Map<String, String> settings) {
        LeaseDriver l = start(settings);
        LeaseDecision first = l.acquire("s1", "eu-west", Duration.ofSeconds(10), "c1");
        l.advance(Duration.ofSeconds(16)); // expired at +10 s, lock-delay over at +15 s
        LeaseDecision unused = l.acquire("s1", "us-east", Duration.ofSeconds(10), "c2");
        assertThat(unused.fencingToken()).isGreaterThan(first.fencingToken());
        l.advance(Duration.ofSeconds(16)); // expired unused, lock-delay over, swept
        l.audit.readValuesToList();

        l.write(io.splitguard.topology.Fixtures.request("s1", "k-old", "late", l.now(), first.fencingToken()));

        return l.audit.readValuesToList().stream()
                .map(AuditRecord::decision)
                .filter(d -> d == AuditRecord.Decision.FENCED || d == AuditRecord.Decision.APPLIED)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void shouldRememberTheLatestTokenAsAFenceAfterAReleaseUntilTheFenceRetentionPassed() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_FENCE_RETENTION, "PT10M"));
        LeaseDecision first = l.acquire("s1", "eu-west", TTL, "c1");
        l.release("s1", first.lockToken());

        LeaseState fence = l.store().get("s1");
        assertThat(fence.isHeld()).isFalse();
        assertThat(fence.fencingToken()).isEqualTo(first.fencingToken());
        // a release frees at once: the fence blocks no grant, and the next token is higher
        LeaseDecision second = l.acquire("s1", "us-east", TTL, "c2");
        assertThat(second.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(second.overrode()).isNull();
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        l.release("s1", second.lockToken());
        assertThat(l.store().get("s1").fencingToken()).isEqualTo(second.fencingToken());

        l.advance(Duration.ofMinutes(9));
        assertThat(l.entries()).isEqualTo(1);
        l.advance(Duration.ofMinutes(2));
        assertThat(l.entries()).isZero();
    }

    @Test
    void shouldForgetTheTokenWhenTheLeaseEndsWhenTheFenceRetentionIsZero() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_FENCE_RETENTION, "PT0S"));
        LeaseDecision first = l.acquire("s1", "eu-west", TTL, "c1");

        l.release("s1", first.lockToken());

        assertThat(l.entries()).isZero();
    }

    @Test
    void shouldTreatALeaseAsExpiredFromItsExpiryEvenWhenTheSweepHasNotRunYet() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_PURGE_INTERVAL, "PT1H", DedupConfig.LEASE_LOCK_DELAY, "PT0S"));
        LeaseDecision granted = l.acquire("s1", "eu-west", Duration.ofSeconds(10), "c1");
        l.advance(Duration.ofSeconds(10));

        LeaseDecision next = l.acquire("s1", "eu-west", TTL, "c2");

        assertThat(next.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(next.fencingToken()).isGreaterThan(granted.fencingToken());
        assertThat(decisionsOf(l.audit.readValuesToList()))
                .containsExactly(
                        AuditRecord.Decision.LEASE_GRANTED,
                        AuditRecord.Decision.LEASE_EXPIRED,
                        AuditRecord.Decision.LEASE_GRANTED);
    }

    @Test
    void shouldOverrideAStaleHolderOnlyOnceItsLastHeartbeatIsAsOldAsTheThreshold() {
        LeaseDriver l = start(NO_LOCK_DELAY);
        LeaseDecision first = l.acquire("s1", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(10));
        l.heartbeat("s1", first.lockToken());
        l.advance(Duration.ofMillis(14_999));

        LeaseDecision early = l.acquire("s1", "us-east", TTL, "c2");
        l.advance(Duration.ofMillis(1));
        LeaseDecision override = l.acquire("s1", "us-east", TTL, "c3");

        assertThat(early.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(early.retryAfterMs()).isEqualTo(1);
        assertThat(override.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(override.holderRegion()).isEqualTo("us-east");
        assertThat(override.overrode())
                .isEqualTo(new LeaseDecision.PreviousHolder("eu-west", first.lockToken(), first.fencingToken()));
        assertThat(override.fencingToken()).isGreaterThan(first.fencingToken());
        assertThat(l.heartbeat("s1", first.lockToken()).outcome()).isEqualTo(Outcome.LOST);
        assertThat(l.release("s1", first.lockToken()).outcome()).isEqualTo(Outcome.NOT_HOLDER);
        assertThat(l.audit.readValuesToList())
                .filteredOn(a -> a.decision() == AuditRecord.Decision.LEASE_OVERRIDDEN)
                .singleElement()
                .satisfies(a -> {
                    assertThat(a.sequence()).isEqualTo(first.fencingToken());
                    assertThat(a.detail()).contains("holder_region=eu-west", "overridden_by=us-east");
                });
    }

    @Test
    void shouldNotLetTheHoldersOwnRegionOverrideItsStaleLeaseWhenAcquiringAgain() {
        LeaseDriver l = start(NO_LOCK_DELAY);
        l.acquire("s1", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(20));

        assertThat(l.acquire("s1", "eu-west", TTL, "c2").outcome()).isEqualTo(Outcome.CONFLICT);
    }

    @Test
    void shouldGrantNothingDuringTheLockDelayWhenALeaseEndedByExpiryOrOverride() {
        LeaseDriver l = start(Map.of()); // 5 s lock-delay, 15 s stale threshold
        LeaseDecision a = l.acquire("a", "eu-west", Duration.ofSeconds(10), "c1");
        l.advance(Duration.ofSeconds(10)); // a expires now: blocked until +5 s

        LeaseDecision blocked = l.acquire("a", "us-east", TTL, "c2");
        l.advance(Duration.ofMillis(4_999));
        LeaseDecision stillBlocked = l.acquire("a", "us-east", TTL, "c2");
        l.advance(Duration.ofMillis(1));
        LeaseDecision afterExpiryDelay = l.acquire("a", "us-east", TTL, "c2");

        assertThat(blocked.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(blocked.retryAfterMs()).isEqualTo(5_000);
        assertThat(blocked.expiresAt()).isEqualTo(a.expiresAt().plusSeconds(5));
        assertThat(stillBlocked.retryAfterMs()).isEqualTo(1);
        assertThat(afterExpiryDelay.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(afterExpiryDelay.overrode()).isNull();

        // override: the stale holder's lease ends at the first acquire, the grant waits out the delay
        l.advance(Duration.ofSeconds(15));
        LeaseDecision overriding = l.acquire("a", "ap-south", TTL, "c3");
        LeaseDecision oldHolder = l.heartbeat("a", afterExpiryDelay.lockToken());
        l.advance(Duration.ofMillis(4_999));
        LeaseDecision duringDelay = l.acquire("a", "ap-south", TTL, "c3");
        l.advance(Duration.ofMillis(1));
        LeaseDecision granted = l.acquire("a", "ap-south", TTL, "c3");

        assertThat(overriding.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(overriding.retryAfterMs()).isEqualTo(5_000);
        assertThat(overriding.holderRegion()).isEqualTo("us-east");
        assertThat(oldHolder.outcome()).isEqualTo(Outcome.LOST);
        assertThat(duringDelay.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(granted.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(granted.overrode().lockToken()).isEqualTo(afterExpiryDelay.lockToken());
        assertThat(granted.fencingToken()).isGreaterThan(afterExpiryDelay.fencingToken());
    }

    @Test
    void shouldDescribeEveryStateOfALeaseWithoutItsTokenAndWithoutChangingItWhenAnOperatorAsks() {
        LeaseDriver l = start(Map.of()); // 5 s lock-delay, 15 s stale threshold
        LeaseView never = l.describe("a").lease();
        LeaseDecision a = l.acquire("a", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(4));
        l.heartbeat("a", a.lockToken());
        l.audit.readValuesToList();
        List<KeyValue<String, byte[]>> changesBefore = l.changelogRecords();

        LeaseDecision held = l.describe("a");

        assertThat(never.state()).isEqualTo(LeaseView.State.FREE);
        assertThat(never.fencingToken()).isNull();
        assertThat(held.outcome()).isEqualTo(Outcome.DESCRIBED);
        assertThat(held.succeeded()).isTrue();
        assertThat(held.lockToken()).isNull();
        assertThat(held.lease())
                .isEqualTo(new LeaseView(
                        LeaseView.State.HELD,
                        "eu-west",
                        a.fencingToken(),
                        "crm_update",
                        "c1",
                        T0,
                        T0.plusSeconds(4),
                        T0.plusSeconds(34),
                        T0.plusSeconds(19),
                        null,
                        null));
        assertThat(Json.mapper().valueToTree(held).toString()).doesNotContain(a.lockToken());
        assertThat(l.audit.readValuesToList()).isEmpty();
        assertThat(changesBefore).isNotEmpty();
        assertThat(l.changelogRecords()).isEmpty();
        assertThat(l.heartbeat("a", a.lockToken()).outcome()).isEqualTo(Outcome.EXTENDED);

        // overridden by a stale threshold's silence: cooling during the lock-delay, naming who lost it
        l.advance(Duration.ofSeconds(15));
        l.acquire("a", "us-east", TTL, "c2");
        LeaseView cooling = l.describe("a").lease();
        l.advance(Duration.ofSeconds(5));
        LeaseView afterDelay = l.describe("a").lease();

        assertThat(cooling.state()).isEqualTo(LeaseView.State.COOLING);
        assertThat(cooling.blockedUntil()).isEqualTo(T0.plusSeconds(19 + 5)); // override at +19 s, 5 s delay
        assertThat(cooling.overriddenHolderRegion()).isEqualTo("eu-west");
        assertThat(cooling.fencingToken()).isEqualTo(a.fencingToken());
        assertThat(cooling.holderRegion()).isNull();
        assertThat(afterDelay.state()).isEqualTo(LeaseView.State.FREE);
        assertThat(afterDelay.fencingToken()).isEqualTo(a.fencingToken());
        assertThat(l.acquire("a", "us-east", TTL, "c2").overrode().holderRegion())
                .isEqualTo("eu-west");
    }

    @Test
    void shouldReportTheOverrideWithTheFirstGrantWhenTheSweepRanBetweenTheDelayAndTheRetry() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_FENCE_RETENTION, "PT0S"));
        LeaseDecision first = l.acquire("s1", "eu-west", Duration.ofMinutes(2), "c1");
        l.advance(Duration.ofSeconds(15));
        l.acquire("s1", "us-east", TTL, "c2");
        l.advance(Duration.ofSeconds(30)); // many sweeps after the delay ended

        LeaseDecision granted = l.acquire("s1", "us-east", TTL, "c2");

        assertThat(granted.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(granted.overrode().fencingToken()).isEqualTo(first.fencingToken());
        l.release("s1", granted.lockToken());
        assertThat(l.entries()).isZero();
    }

    @Test
    void shouldReportTheOverrideWhenTheOverriddenLeaseWouldHaveExpiredBeforeTheDelayEnded() {
        LeaseDriver l = start(Map.of());
        LeaseDecision first = l.acquire("s1", "eu-west", Duration.ofSeconds(16), "c1");
        l.advance(Duration.ofSeconds(15));
        l.acquire("s1", "us-east", TTL, "c2"); // override; the old lease would expire in 1 s
        l.advance(Duration.ofSeconds(5));

        LeaseDecision granted = l.acquire("s1", "us-east", TTL, "c2");

        assertThat(granted.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(granted.overrode().fencingToken()).isEqualTo(first.fencingToken());
    }

    @Test
    void shouldReturnTheSameGrantWithoutExtendingWhenTheHolderRetriesAnAcquireWithItsCorrelationId() {
        LeaseDriver l = start(Map.of());
        LeaseDecision granted = l.acquire("s1", "eu-west", TTL, "c1");
        l.advance(Duration.ofSeconds(3));

        LeaseDecision retried = l.acquire("s1", "eu-west", TTL, "c1");
        LeaseDecision otherRegionSameId = l.acquire("s1", "us-east", TTL, "c1");

        assertThat(retried.outcome()).isEqualTo(Outcome.GRANTED);
        assertThat(retried.lockToken()).isEqualTo(granted.lockToken());
        assertThat(retried.fencingToken()).isEqualTo(granted.fencingToken());
        assertThat(retried.expiresAt()).isEqualTo(granted.expiresAt());
        assertThat(l.store().get("s1").lastHeartbeatAt()).isEqualTo(T0);
        assertThat(otherRegionSameId.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(decisionsOf(l.audit.readValuesToList()))
                .containsExactly(AuditRecord.Decision.LEASE_GRANTED, AuditRecord.Decision.LEASE_REFUSED);
    }

    @Test
    void shouldCutALeaseToTheMaximumTtlWhenTheRequestAsksForMore() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_MAX_TTL, "PT1M"));

        LeaseDecision granted = l.acquire("s1", "eu-west", Duration.ofMinutes(10), "c1");

        assertThat(granted.expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
    }

    @Test
    void shouldDecideOnTheInstanceClockWhenTheGatewaysStampIsSkewed() {
        LeaseDriver l = start(NO_LOCK_DELAY);
        LeaseDecision granted =
                l.send(LeaseCommand.acquire("s1", "eu-west", TTL, null, "c1", "r1", T0.minus(Duration.ofDays(1))));
        LeaseDecision conflict =
                l.send(LeaseCommand.acquire("s1", "us-east", TTL, null, "c2", "r2", T0.plus(Duration.ofDays(1))));

        assertThat(granted.expiresAt()).isEqualTo(T0.plus(TTL));
        assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
    }

    @Test
    void shouldKeepFencingTokensStrictlyIncreasingAcrossOverrideRestartFromTheChangelogAndAWipedStore() {
        LeaseDriver first = start(NO_LOCK_DELAY);
        LeaseDecision a = first.acquire("s1", "eu-west", TTL, "c1");
        first.advance(Duration.ofSeconds(15));
        LeaseDecision b = first.acquire("s1", "us-east", TTL, "c2"); // overrides eu-west
        assertThat(b.overrode()).isNotNull();
        List<KeyValue<String, byte[]>> changelog = first.changelogRecords();
        long logEnd = first.nextOffset();
        first.close();
        leases = null;

        // restart: a new instance restores the store from the changelog and resumes at the log's end
        LeaseDriver restarted = new LeaseDriver(otherStateDir, T0.plusSeconds(16), NO_LOCK_DELAY);
        leases = restarted;
        restarted.restore(changelog);
        restarted.fillLogTo(logEnd);
        assertThat(restarted.heartbeat("s1", a.lockToken()).outcome()).isEqualTo(Outcome.LOST);
        assertThat(restarted.heartbeat("s1", b.lockToken()).outcome()).isEqualTo(Outcome.EXTENDED);
        assertThat(restarted.acquire("s1", "eu-west", TTL, "c3").outcome()).isEqualTo(Outcome.CONFLICT);
        restarted.release("s1", b.lockToken());
        LeaseDecision c = restarted.acquire("s1", "eu-west", TTL, "c4");
        logEnd = restarted.nextOffset();
        restarted.close();
        leases = null;

        // wiped: the store and its changelog are gone; the log's offsets are not
        LeaseDriver wiped = new LeaseDriver(wipedStateDir, T0.plusSeconds(20), NO_LOCK_DELAY);
        leases = wiped;
        wiped.fillLogTo(logEnd);
        assertThat(wiped.entries()).isZero();
        LeaseDecision d = wiped.acquire("s1", "ap-south", TTL, "c5");

        assertThat(List.of(a, b, c, d)).allSatisfy(g -> assertThat(g.outcome()).isEqualTo(Outcome.GRANTED));
        assertThat(List.of(a.fencingToken(), b.fencingToken(), c.fencingToken(), d.fencingToken()))
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    void shouldDeadLetterUnreadableCommandsAndCommandsKeyedByAnotherResourceWithTheReason() {
        LeaseDriver l = start(Map.of());
        String wrongKey = Json.mapper()
                .valueToTree(LeaseCommand.heartbeat("s2", "t", "r", T0))
                .toString();

        l.sendRaw("s1", "{not json");
        l.sendRaw("s1", "{\"type\":\"acquire\",\"resource_id\":\"s1\",\"request_id\":\"r\",\"received_at\":\"x\"}");
        l.sendRaw("s1", wrongKey);
        l.sendRaw(null, wrongKey);

        assertThat(l.decisions.readValuesToList()).isEmpty();
        List<org.apache.kafka.streams.test.TestRecord<byte[], byte[]>> dead = l.deadLetters.readRecordsToList();
        assertThat(dead).hasSize(4);
        assertThat(dead)
                .extracting(r -> new String(
                        r.headers().lastHeader(DeadLetters.ERROR_MESSAGE).value(), StandardCharsets.UTF_8))
                .satisfies(m -> assertThat(m.get(0)).contains("malformed"))
                .satisfies(m -> assertThat(m.get(1)).contains("schema"))
                .satisfies(m -> assertThat(m.get(2)).contains("not the resource id"))
                .satisfies(m -> assertThat(m.get(3)).contains("no key"));
        assertThat(dead.get(2).headers().lastHeader(DeadLetters.SOURCE_OFFSET).value())
                .isEqualTo("2".getBytes(StandardCharsets.UTF_8));
        assertThat(decisionsOf(l.audit.readValuesToList()))
                .containsOnly(AuditRecord.Decision.REJECTED)
                .hasSize(3);
        assertThat(l.acquire("s1", "eu-west", TTL, "c1").outcome()).isEqualTo(Outcome.GRANTED);
    }

    @Test
    void shouldPutTheLeaseAndDedupProcessorsInOneSubTopologySharingTheLeaseStoreWhenBuilt() {
        TopicCatalog topics = TopicCatalog.builder().prefix("t.").build();
        DedupConfig config = DedupConfig.fromEnv(Map.of(), topics.deadLetters.name());

        TopologyDescription description = DedupTopology.build(config, topics).describe();

        assertThat(description.subtopologies()).singleElement().satisfies(sub -> {
            List<String> names =
                    sub.nodes().stream().map(TopologyDescription.Node::name).toList();
            assertThat(names).contains(DedupNodes.PROCESSOR, DedupNodes.LEASE_PROCESSOR, DedupNodes.LEASE_SOURCE);
            assertThat(sub.nodes())
                    .filteredOn(n -> n instanceof TopologyDescription.Processor)
                    .allSatisfy(n -> assertThat(((TopologyDescription.Processor) n).stores())
                            .contains(DedupNodes.LEASE_STORE));
        });
    }

    @Test
    void shouldReadTheLeaseRulesFromTheSettingsWithTheContractsDefaults() {
        LeaseRules defaults = DedupConfig.fromEnv(Map.of(), "dlq").leases();
        LeaseRules set = DedupConfig.fromEnv(
                        Map.of(
                                DedupConfig.LEASE_STALE_THRESHOLD, "PT30S",
                                DedupConfig.LEASE_LOCK_DELAY, "PT0S",
                                DedupConfig.LEASE_MAX_TTL, "PT2M",
                                DedupConfig.LEASE_PURGE_INTERVAL, "PT5S",
                                DedupConfig.LEASE_FENCE_RETENTION, "PT1H"),
                        "dlq")
                .leases();

        assertThat(defaults).isEqualTo(LeaseRules.DEFAULTS);
        assertThat(defaults.staleThreshold()).isEqualTo(Duration.ofSeconds(15));
        assertThat(set)
                .isEqualTo(new LeaseRules(
                        Duration.ofSeconds(30),
                        Duration.ZERO,
                        Duration.ofMinutes(2),
                        Duration.ofSeconds(5),
                        Duration.ofHours(1)));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> DedupConfig.fromEnv(Map.of(DedupConfig.LEASE_MAX_TTL, "PT11M"), "dlq"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldKeepOnlyLiveLeasesAndRunningDelaysInTheStoreWhenLeasesEnd() {
        LeaseDriver l = start(Map.of(DedupConfig.LEASE_LOCK_DELAY, "PT0S", DedupConfig.LEASE_FENCE_RETENTION, "PT0S"));
        for (int i = 0; i < 20; i++) {
            l.acquire("r" + i, "eu-west", Duration.ofSeconds(1 + i % 5), "c" + i);
        }
        LeaseDecision kept = l.acquire("long", "eu-west", Duration.ofMinutes(5), "c");

        l.advance(Duration.ofSeconds(6));

        assertThat(l.entries()).isEqualTo(1);
        LeaseState left = l.store().get("long");
        assertThat(left.lockToken()).isEqualTo(kept.lockToken());
    }
}
