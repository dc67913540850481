package io.splitguard.chaos.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces for the chaos harness, driven through iproute2 ({@code ip}), so each node has
 * its own network stack and a fault can cut it off.
 *
 * <p>Layout: a bridge {@code sgbr0} holding 10.77.0.1/24 in the root namespace; per node a namespace
 * {@code sg-<name>} joined to the bridge by a veth pair, host end {@code sgv-<name>} on the bridge,
 * namespace end {@code eth0} with 10.77.0.<i>n</i>/24. {@link #isolate} takes the host end down, which
 * cuts the node off from everything (other nodes and the root namespace) while its processes keep
 * running, the way a switch port failure would.
 *
 * <p>Needs root (CAP_NET_ADMIN). Everything it creates carries the {@code sg} prefix, and {@link
 * #create()} removes such leftovers of a crashed earlier run first. Processes still running inside a
 * leftover namespace are only reported, never signalled: this harness did not start them.
 */
public final class Netns implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Netns.class);

    public static final String BRIDGE = "sgbr0";
    public static final String SUBNET_PREFIX = "10.77.0.";
    public static final String BRIDGE_ADDRESS = SUBNET_PREFIX + "1";

    private static final String NS_PREFIX = "sg-";
    private static final String VETH_PREFIX = "sgv-";
    private static final String PEER_PREFIX = "sgp-";
    /** Interface names have at most 15 characters; "sgv-" leaves 11 for the node name. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,11}");

    private final Map<String, String> addresses = new LinkedHashMap<>();
    private boolean destroyed;

    private Netns() {}

    /** Removes leftovers of an earlier run, then creates the bridge with {@value #BRIDGE_ADDRESS}/24. */
    public static Netns create() {
        cleanLeftovers();
        run("ip", "link", "add", BRIDGE, "type", "bridge");
        run("ip", "addr", "add", BRIDGE_ADDRESS + "/24", "dev", BRIDGE);
        run("ip", "link", "set", BRIDGE, "up");
        return new Netns();
    }

    /**
     * Creates namespace {@code sg-<name>} with address 10.77.0.{@code host}/24 on the bridge and
     * loopback up.
     *
     * @return the node's address
     */
    public synchronized String addNode(String name, int host) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("node name must be 1-11 lower-case letters or digits: " + name);
        }
        if (host < 2 || host > 254) {
            throw new IllegalArgumentException("host part must be in 2..254: " + host);
        }
        if (destroyed) {
            throw new IllegalStateException("namespaces already destroyed");
        }
        if (addresses.containsKey(name)) {
            throw new IllegalStateException("node " + name + " already exists");
        }
        String address = SUBNET_PREFIX + host;
        if (addresses.containsValue(address)) {
            throw new IllegalStateException("address " + address + " already taken");
        }
        String ns = namespace(name);
        String veth = VETH_PREFIX + name;
        String peer = PEER_PREFIX + name;
        run("ip", "netns", "add", ns);
        addresses.put(name, address);
        run("ip", "link", "add", veth, "type", "veth", "peer", "name", peer);
        run("ip", "link", "set", peer, "netns", ns);
        run("ip", "-n", ns, "link", "set", peer, "name", "eth0");
        run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        run("ip", "-n", ns, "link", "set", "eth0", "up");
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "link", "set", veth, "master", BRIDGE);
        run("ip", "link", "set", veth, "up");
        return address;
    }

    /** The namespace name for a node: {@code sg-<name>}. */
    public static String namespace(String name) {
        return NS_PREFIX + name;
    }

    /** The command prefix that runs a program inside the node's namespace ({@code ip netns exec} execs, no fork). */
    public List<String> execPrefix(String name) {
        requireNode(name);
        return List.of("ip", "netns", "exec", namespace(name));
    }

    public synchronized String address(String name) {
        requireNode(name);
        return addresses.get(name);
    }

    /** Network cut: the host end of the node's veth goes down; the node's processes keep running. */
    public void isolate(String name) {
        requireNode(name);
        run("ip", "link", "set", VETH_PREFIX + name, "down");
    }

    /** Ends a cut made by {@link #isolate}. */
    public void heal(String name) {
        requireNode(name);
        run("ip", "link", "set", VETH_PREFIX + name, "up");
    }

    /** Whether the host end of the node's veth is administratively up. */
    public boolean isConnected(String name) {
        requireNode(name);
        String line = run("ip", "-o", "link", "show", VETH_PREFIX + name);
        int open = line.indexOf('<');
        int close = line.indexOf('>', open + 1);
        return open >= 0
                && close > open
                && List.of(line.substring(open + 1, close).split(",")).contains("UP");
    }

    /** TCP connect from this (root namespace) process, the check for "can a client reach it". */
    public static boolean canConnect(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes the nodes' namespaces and veths and the bridge. Idempotent. */
    public synchronized void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        for (String name : addresses.keySet()) {
            warnAboutProcesses(namespace(name));
        }
        addresses.clear();
        cleanLeftovers();
    }

    @Override
    public void close() {
        destroy();
    }

    /** Namespaces with the harness prefix that exist now, e.g. to check that nothing was left behind. */
    public static List<String> existingNamespaces() {
        List<String> found = new ArrayList<>();
        for (String line : run("ip", "netns", "list").split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.startsWith(NS_PREFIX)) {
                found.add(ns);
            }
        }
        return found;
    }

    private static void cleanLeftovers() {
        for (String line : run("ip", "-o", "link", "show").split("\n")) {
            // "12: sgv-b1@if11: <BROADCAST,..." -> "sgv-b1"
            String[] parts = line.split(":\\s+", 3);
            if (parts.length < 2) {
                continue;
            }
            String link = parts[1].split("@")[0];
            if (link.startsWith(VETH_PREFIX) || link.startsWith(PEER_PREFIX)) {
                runQuietly("ip", "link", "del", link);
            }
        }
        for (String ns : existingNamespaces()) {
            warnAboutProcesses(ns);
            runQuietly("ip", "netns", "del", ns);
        }
        runQuietly("ip", "link", "del", BRIDGE);
    }

    private static void warnAboutProcesses(String ns) {
        String pids = runQuietly("ip", "netns", "pids", ns).trim();
        if (!pids.isEmpty()) {
            LOG.warn(
                    "processes still running in namespace {} (not started by this harness instance, left alone): {}",
                    ns,
                    pids.replace('\n', ' '));
        }
    }

    private synchronized void requireNode(String name) {
        if (!addresses.containsKey(name)) {
            throw new IllegalArgumentException("no such node: " + name);
        }
    }

    static String run(String... command) {
        Result result = exec(command);
        if (result.exit != 0) {
            throw new IllegalStateException(
                    "command failed (exit " + result.exit + "): " + String.join(" ", command) + "\n" + result.output);
        }
        return result.output;
    }

    private static String runQuietly(String... command) {
        Result result = exec(command);
        if (result.exit != 0) {
            LOG.debug("ignored failure of {}: {}", String.join(" ", command), result.output);
        }
        return result.exit == 0 ? result.output : "";
    }

    private record Result(int exit, String output) {}

    private static Result exec(String... command) {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("command timed out: " + String.join(" ", command));
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }
}
