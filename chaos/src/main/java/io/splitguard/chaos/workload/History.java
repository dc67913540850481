package io.splitguard.chaos.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.splitguard.schemas.json.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every request the workload made and its answer, kept in memory and appended to JSON-lines files: the
 * idempotent mutations to the given file, the checkpoint requests ({@link CheckpointOp}) to {@value
 * #CHECKPOINT_FILE} and the lease requests ({@link LeaseOp}) to {@value #LEASE_FILE} beside it.
 */
public final class History implements AutoCloseable {

    private final ObjectMapper mapper = Json.mapper();
    private final BufferedWriter out;
    public static final String CHECKPOINT_FILE = "checkpoint-history.jsonl";
    public static final String LEASE_FILE = "lease-history.jsonl";

    private final BufferedWriter checkpointOut;
    private final List<Op> ops = new ArrayList<>();
    private final List<CheckpointOp> checkpointOps = new ArrayList<>();
    private final BufferedWriter leaseOut;
    private final List<LeaseOp> leaseOps = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    public History(Path file) {
        try {
            Files.createDirectories(file.getParent());
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            this.checkpointOut = Files.newBufferedWriter(file.resolveSibling(CHECKPOINT_FILE), StandardCharsets.UTF_8);
            this.leaseOut = Files.newBufferedWriter(file.resolveSibling(LEASE_FILE), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long nextId() {
        return ids.incrementAndGet();
    }

    public synchronized void record(Op op) {
        ops.add(op);
        try {
            out.write(mapper.writeValueAsString(op));
            out.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    public synchronized void record(CheckpointOp op) {
        checkpointOps.add(op);
        try {
            checkpointOut.write(mapper.writeValueAsString(op));
            checkpointOut.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized List<CheckpointOp> checkpointOps() {
        return List.copyOf(checkpointOps);
    }

    public synchronized void record(LeaseOp op) {
        leaseOps.add(op);
        try {
            leaseOut.write(mapper.writeValueAsString(op));
            leaseOut.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized List<LeaseOp> leaseOps() {
        return List.copyOf(leaseOps);
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
            checkpointOut.close();
            leaseOut.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
