package io.meshwork.controlplane.source.local;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Shuts other writers of a config folder's TrafficSplits out while one reads, decides and writes:
 * an exclusive {@link FileChannel#lock()} on {@code .mesh-split.lock} in the folder for other
 * processes (released by the OS if the holder dies), and a lock per folder for other threads of
 * this one (a JVM holds a file lock for the process, not the thread). The loader ignores the file.
 */
public final class SplitFileLock {

    public static final String FILE_NAME = ".mesh-split.lock";

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    /** Work done while the lock is held. */
    @FunctionalInterface
    public interface Locked<T> {
        T run() throws IOException;
    }

    private SplitFileLock() {
    }

    public static <T> T holding(Path configDir, Locked<T> work) throws IOException {
        Path file = configDir.toAbsolutePath().normalize().resolve(FILE_NAME);
        ReentrantLock threads = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
        if (threads.isHeldByCurrentThread()) {
            return work.run(); // a second FileChannel lock in one JVM would throw OverlappingFileLockException
        }
        try {
            threads.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + file);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            return work.run();
        } finally {
            threads.unlock();
        }
    }
}
