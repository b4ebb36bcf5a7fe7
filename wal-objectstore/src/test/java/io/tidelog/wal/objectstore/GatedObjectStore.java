package io.tidelog.wal.objectstore;

import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real store whose conditional creates of chosen keys can be held before they reach the store (a PUT still on
 * its way) or after (a PUT that landed, whose reply is late), or failed with an I/O error; for tests of the
 * write path's ordering and fencing. Every other call goes straight through.
 */
final class GatedObjectStore implements ObjectStore {
    private final ObjectStore store;
    private final Map<String, CountDownLatch> before = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> after = new ConcurrentHashMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** Keys whose create reached the gate (before or after the store). */
    final Set<String> arrived = ConcurrentHashMap.newKeySet();
    /** GETs, whole or ranged, that reached the gate. */
    final AtomicLong gets = new AtomicLong();

    GatedObjectStore(ObjectStore store) {
        this.store = store;
    }

    /** The next creates of {@code key} wait before reaching the store until {@link #release}. */
    void holdBefore(String key) {
        before.put(key, new CountDownLatch(1));
    }

    /** The next creates of {@code key} reach the store, then wait before returning until {@link #release}. */
    void holdAfter(String key) {
        after.put(key, new CountDownLatch(1));
    }

    /** Creates of {@code key} fail with an I/O error ({@code INNER}) without reaching the store. */
    void fail(String key) {
        failing.add(key);
    }

    void release(String key) {
        CountDownLatch b = before.remove(key);
        if (b != null) {
            b.countDown();
        }
        CountDownLatch a = after.remove(key);
        if (a != null) {
            a.countDown();
        }
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        if (failing.contains(key)) {
            arrived.add(key);
            throw StreamingException.inner("injected I/O error creating " + key, null);
        }
        await(before.get(key), key);
        boolean created = store.createIfAbsent(key, data);
        await(after.get(key), key);
        return created;
    }

    private void await(CountDownLatch gate, String key) {
        if (gate == null) {
            return;
        }
        arrived.add(key);
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate of " + key + " never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted at the gate of " + key);
        }
    }

    @Override
    public void put(String key, byte[] data) {
        store.put(key, data);
    }

    @Override
    public void put(String key, Path file) {
        store.put(key, file);
    }

    @Override
    public Optional<byte[]> get(String key) {
        gets.incrementAndGet();
        return store.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        gets.incrementAndGet();
        return store.getRange(key, offset, length);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public boolean delete(String key) {
        return store.delete(key);
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
