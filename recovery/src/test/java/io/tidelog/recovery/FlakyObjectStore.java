package io.tidelog.recovery;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.objectstore.ObjectInfo;
import io.tidelog.objectstore.ObjectStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A real store that can be made to fail every write, as an unreachable object store does (for tests around it). */
final class FlakyObjectStore implements ObjectStore {
    private final ObjectStore store;
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();

    FlakyObjectStore(ObjectStore store) {
        this.store = store;
    }

    private void check() {
        if (down.get()) {
            refused.incrementAndGet();
            throw new StreamingException(ErrorCode.INNER, "the object store is unreachable (test)");
        }
    }

    @Override
    public void put(String key, byte[] data) {
        check();
        store.put(key, data);
    }

    @Override
    public void put(String key, Path file) {
        check();
        store.put(key, file);
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        check();
        return store.createIfAbsent(key, data);
    }

    @Override
    public Optional<byte[]> get(String key) {
        check();
        return store.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        check();
        return store.getRange(key, offset, length);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        check();
        return store.list(prefix);
    }

    @Override
    public boolean delete(String key) {
        check();
        return store.delete(key);
    }

    @Override
    public String describe() {
        return "flaky " + store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
