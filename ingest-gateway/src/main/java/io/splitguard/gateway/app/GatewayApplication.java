package io.splitguard.gateway.app;

import io.micronaut.runtime.Micronaut;

/** Runs the gateway as its own process; configuration from application.yml, system properties and environment. */
public final class GatewayApplication {

    private GatewayApplication() {}

    public static void main(String[] args) {
        Micronaut.build(args).mainClass(GatewayApplication.class).start();
    }
}
