package io.tidelog.bench;

import io.tidelog.objectstore.InterceptedObjectStore;
import io.tidelog.objectstore.ObjectStore;
import java.util.concurrent.atomic.LongAdder;

/**
 * A store that counts the writes made through it: every {@code put} and {@code createIfAbsent} is one PUT
 * (what an S3 bill and an S3 rate limit count), with the bytes it carried when they are given as an array.
 * Counted when the call starts, whatever its outcome. Thread-safe; closing closes the real store.
 */
final class CountingObjectStore extends InterceptedObjectStore {
    private final LongAdder puts = new LongAdder();
    private final LongAdder putBytes = new LongAdder();

    CountingObjectStore(ObjectStore store) {
        super(store);
    }

    /** What was written so far. */
    record Count(long puts, long bytes) {
        /** The writes made between {@code earlier} and this count. */
        Count since(Count earlier) {
            return new Count(puts - earlier.puts, bytes - earlier.bytes);
        }

        /** Mean bytes per PUT, or 0 when there was none. */
        double meanBytes() {
            return puts == 0 ? 0 : bytes / (double) puts;
        }
    }

    Count count() {
        return new Count(puts.sum(), putBytes.sum());
    }

    @Override
    protected void before(String operation) {
        if (operation.equals("put") || operation.equals("createIfAbsent")) {
            puts.increment();
        }
    }

    @Override
    public void put(String key, byte[] data) {
        putBytes.add(data.length);
        super.put(key, data);
    }

    @Override
    public boolean createIfAbsent(String key, byte[] data) {
        putBytes.add(data.length);
        return super.createIfAbsent(key, data);
    }
}
