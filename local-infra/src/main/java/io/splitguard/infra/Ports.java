package io.splitguard.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Free TCP ports for processes this project starts itself (brokers, PostgreSQL, services under test). */
public final class Ports {

    private Ports() {}

    /**
     * A port that was free a moment ago on every interface. Another process may take it before the
     * caller binds it; callers that can bind port 0 themselves should do that instead.
     */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
