package io.tidelog.coord;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Ids for collections, partitions and broadcast tasks, from one counter in the meta store
 * ({@value #KEY}: the next id, 8 bytes big-endian). Each allocation moves the counter with a
 * compare-and-set, so ids are unique across restarts and across racing coordinators; ids of an allocation
 * whose caller crashed are never handed out again (gaps are fine). The first id is {@value #FIRST_ID}.
 */
final class IdAllocator {
    static final String KEY = "coord/catalog/next-id";
    static final long FIRST_ID = 1;
    private static final int MAX_ATTEMPTS = 100;

    private final MetaStore meta;

    IdAllocator(MetaStore meta) {
        this.meta = meta;
    }

    /** {@code count} consecutive ids, durably taken; returns the first. */
    long allocate(int count) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Optional<KeyValue> kv = meta.get(KEY);
            long next = kv.map(IdAllocator::decode).orElse(FIRST_ID);
            byte[] moved = ByteBuffer.allocate(Long.BYTES).putLong(next + count).array();
            if (meta.compareAndPut(KEY, kv.map(KeyValue::modRevision).orElse(0L), moved)) {
                return next;
            }
        }
        throw new StreamingException(ErrorCode.INNER, "the id counter " + KEY + " kept changing under this"
                + " coordinator (another coordinator is active?)");
    }

    private static long decode(KeyValue kv) {
        byte[] v = kv.value();
        if (v.length != Long.BYTES) {
            throw StreamingException.corrupted("the id counter at " + KEY + " has " + v.length + " bytes, not 8");
        }
        return ByteBuffer.wrap(v).getLong();
    }
}
