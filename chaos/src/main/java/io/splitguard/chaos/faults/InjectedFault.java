package io.splitguard.chaos.faults;

/** A fault as it really happened: when it was injected and when its healing began (epoch ms). */
public record InjectedFault(Fault fault, long injectedAtMs, long healedAtMs) {}
