package io.splitguard.chaos.cluster;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small filesystem of its own (tmpfs, {@code mount -t tmpfs -o size=...}) for one topology instance's
 * state directory, so that it can be filled up without touching anything else. {@link #fill()} writes a
 * filler file until the filesystem answers ENOSPC; {@link #clear()} deletes it. Needs root.
 *
 * <p>Every mount this class made is unmounted by {@link #close()}, and, should the harness die first,
 * by a JVM shutdown hook. The mounts are named {@value #SOURCE} (the device column of {@code
 * /proc/mounts}); {@link #removeLeftovers()} unmounts those a killed earlier run left behind, as {@link
 * Netns#create()} removes its leftover namespaces.
 */
public final class StateFs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StateFs.class);
    private static final Set<StateFs> MOUNTED = ConcurrentHashMap.newKeySet();
    static final String FILLER = "chaos-filler";
    static final String SOURCE = "splitguard-chaos-state";

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(StateFs::unmountAllOnExit, "chaos-statefs-unmount"));
    }

    private final Path dir;
    private final int sizeMb;
    private volatile boolean mounted;

    private StateFs(Path dir, int sizeMb) {
        this.dir = dir.toAbsolutePath();
        this.sizeMb = sizeMb;
    }

    /** Creates {@code dir} and mounts a tmpfs of {@code sizeMb} MiB on it. */
    public static StateFs mount(Path dir, int sizeMb) {
        StateFs fs = new StateFs(dir, sizeMb);
        try {
            Files.createDirectories(fs.dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Netns.run("mount", "-t", "tmpfs", "-o", "size=" + sizeMb + "m,mode=0755", SOURCE, fs.dir.toString());
        fs.mounted = true;
        MOUNTED.add(fs);
        LOG.info("mounted a {} MiB tmpfs on {}", sizeMb, fs.dir);
        return fs;
    }

    /** Unmounts every tmpfs named {@value #SOURCE}: what a harness killed before its cleanup left behind. */
    public static void removeLeftovers() {
        for (String mountPoint : leftovers(readMounts())) {
            LOG.warn("unmounting {}, left behind by an earlier run", mountPoint);
            Netns.run("umount", "-l", mountPoint);
        }
    }

    /** Mount points of this harness's state filesystems in {@code /proc/mounts} content. */
    static java.util.List<String> leftovers(String procMounts) {
        return procMounts
                .lines()
                .map(line -> line.split(" "))
                .filter(f -> f.length > 2 && f[0].equals(SOURCE) && f[2].equals("tmpfs"))
                .map(f -> f[1].replace("\\040", " "))
                .toList();
    }

    private static String readMounts() {
        try {
            return Files.readString(Path.of("/proc/mounts"));
        } catch (IOException e) {
            return "";
        }
    }

    public Path dir() {
        return dir;
    }

    public int sizeMb() {
        return sizeMb;
    }

    /** Bytes in use on the filesystem. */
    public long usedBytes() {
        try {
            FileStore store = Files.getFileStore(dir);
            return store.getTotalSpace() - store.getUnallocatedSpace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes still free on the filesystem. */
    public long freeBytes() {
        try {
            return Files.getFileStore(dir).getUnallocatedSpace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Appends to the filler file until a write fails for lack of space (in 1 MiB, then 4 KiB pieces, so
     * nothing usable is left); may be called again to take back space freed meanwhile.
     *
     * @return bytes added to the filler
     */
    public long fill() {
        long written = writeUntilFull(1 << 20);
        return written + writeUntilFull(4096);
    }

    private long writeUntilFull(int chunk) {
        byte[] block = new byte[chunk];
        long written = 0;
        try (FileOutputStream out = new FileOutputStream(dir.resolve(FILLER).toFile(), true)) {
            while (true) {
                out.write(block);
                written += chunk;
            }
        } catch (IOException e) {
            // ENOSPC ("No space left on device") ends it: a partial last write counts as full enough
            return written;
        }
    }

    /** Deletes the filler: the space is back. */
    public void clear() {
        try {
            Files.deleteIfExists(dir.resolve(FILLER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Unmounts (lazily, should a process still hold files there); idempotent. */
    @Override
    public synchronized void close() {
        if (!mounted) {
            return;
        }
        try {
            Netns.run("umount", "-l", dir.toString());
            LOG.info("unmounted {}", dir);
        } catch (RuntimeException e) {
            LOG.warn("cannot unmount {}: {}", dir, e.getMessage());
            return;
        }
        mounted = false;
        MOUNTED.remove(this);
    }

    private static void unmountAllOnExit() {
        for (StateFs fs : MOUNTED) {
            fs.close();
        }
    }
}
