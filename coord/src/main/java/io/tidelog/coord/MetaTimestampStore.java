package io.tidelog.coord;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.tso.TimestampStore;
import java.nio.ByteBuffer;
import java.util.Optional;

/** The TSO's high-water mark in the meta store (key {@code coord/tso/high-water-mark}); durable on save. */
final class MetaTimestampStore implements TimestampStore {
    static final String KEY = "coord/tso/high-water-mark";

    private final MetaStore meta;

    MetaTimestampStore(MetaStore meta) {
        this.meta = meta;
    }

    @Override
    public long load() {
        Optional<KeyValue> kv = meta.get(KEY);
        if (kv.isEmpty()) {
            return 0;
        }
        byte[] v = kv.get().value();
        if (v.length != Long.BYTES) {
            throw StreamingException.corrupted("the TSO high-water mark at " + KEY + " has " + v.length + " bytes, not 8");
        }
        return ByteBuffer.wrap(v).getLong();
    }

    @Override
    public void save(long highWaterMillis) {
        meta.put(KEY, ByteBuffer.allocate(Long.BYTES).putLong(highWaterMillis).array());
    }
}
