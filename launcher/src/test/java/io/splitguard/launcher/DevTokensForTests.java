package io.splitguard.launcher;

import io.splitguard.gateway.security.DevTokens;
import java.time.Duration;
import java.util.List;

final class DevTokensForTests {

    private DevTokensForTests() {}

    static String writer() {
        return DevTokens.mint(
                Pipelines.SECRET, "default", List.of("session:write", "session:read"), Duration.ofHours(1));
    }
}
