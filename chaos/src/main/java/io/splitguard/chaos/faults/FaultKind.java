package io.splitguard.chaos.faults;

/** The faults the harness injects; each names what it does to which kind of process. */
public enum FaultKind {
    /**
     * SIGKILL a dedup topology instance and the checkpoint topology instance of the same region, restart
     * both after the fault's duration.
     */
    KILL_TOPOLOGY,
    /**
     * SIGSTOP a dedup topology instance and the checkpoint topology instance of the same region past their
     * group session timeout, then SIGCONT: zombies that must be fenced.
     */
    PAUSE_TOPOLOGY,
    /**
     * SIGKILL a dedup and the same region's checkpoint topology instance, delete their local state
     * directories, restart them (they restore from changelogs).
     */
    WIPE_TOPOLOGY_STATE,
    /** SIGKILL a sink right after one of its database commits, restart it. */
    KILL_SINK_AFTER_COMMIT,
    /** SIGKILL a gateway instance, restart it: requests in flight become indeterminate. */
    KILL_GATEWAY,
    /** SIGKILL a broker, restart it after the duration. */
    KILL_BROKER,
    /** SIGSTOP a broker for the duration, then SIGCONT. */
    PAUSE_BROKER,
    /** Cut a broker off the network for the duration. */
    ISOLATE_BROKER,
    /** Stop PostgreSQL for the duration. */
    STOP_POSTGRES,
    /**
     * Restart a gateway instance under libfaketime with a wall-clock offset drawn by the schedule (minutes
     * to days, either direction), keep it so for the duration, then restart it on the true clock.
     */
    GATEWAY_CLOCK_SKEW,
    /**
     * Fill a topology instance's state directory (its own size-limited filesystem) until ENOSPC for the
     * duration, then delete the filler.
     */
    TOPOLOGY_STATE_DIR_FULL
}
