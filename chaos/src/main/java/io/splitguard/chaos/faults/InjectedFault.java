package io.splitguard.chaos.faults;

/**
 * A fault as it really happened: when it was injected and when its healing began (epoch ms), and what
 * the harness saw while it lasted (empty when there is nothing to say).
 */
public record InjectedFault(Fault fault, long injectedAtMs, long healedAtMs, String note) {

    public InjectedFault {
        note = note == null ? "" : note;
    }

    public InjectedFault(Fault fault, long injectedAtMs, long healedAtMs) {
        this(fault, injectedAtMs, healedAtMs, "");
    }
}
