package io.tidelog.meta.embedded;

import io.tidelog.common.StreamingException;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.WatchEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte layouts of the store's values (big-endian):
 *
 * <pre>
 * kv map, key -&gt; record:     createRevision:8 modRevision:8 version:8 lease:8 value:*
 * history map, revision -&gt;   count:4 { type:1 (0 put, 1 delete) keyLength:4 key:UTF-8
 *   events of that revision              createRevision:8 version:8 lease:8 valueLength:4 value:* }
 * </pre>
 *
 * A delete event stores zeros and no value; every event's mod revision is the history key.
 */
final class KvCodec {
    private static final int RECORD_HEADER = 4 * Long.BYTES;
    private static final byte PUT = 0;
    private static final byte DELETE = 1;

    private KvCodec() {
    }

    static byte[] encodeRecord(KeyValue kv) {
        byte[] value = kv.value();
        return ByteBuffer.allocate(RECORD_HEADER + value.length)
                .putLong(kv.createRevision()).putLong(kv.modRevision()).putLong(kv.version()).putLong(kv.lease())
                .put(value).array();
    }

    static KeyValue decodeRecord(String key, byte[] record) {
        if (record.length < RECORD_HEADER) {
            throw StreamingException.corrupted("meta store record of " + key + " has " + record.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(record);
        long create = b.getLong();
        long mod = b.getLong();
        long version = b.getLong();
        long lease = b.getLong();
        byte[] value = new byte[b.remaining()];
        b.get(value);
        return new KeyValue(key, value, create, mod, version, lease);
    }

    /** The lease of a stored record, without decoding its value. */
    static long leaseOf(byte[] record) {
        return ByteBuffer.wrap(record).getLong(3 * Long.BYTES);
    }

    static byte[] encodeEvents(List<WatchEvent> events) {
        List<byte[]> keys = new ArrayList<>(events.size());
        int size = Integer.BYTES;
        for (WatchEvent e : events) {
            byte[] k = e.key().getBytes(StandardCharsets.UTF_8);
            keys.add(k);
            size += 1 + Integer.BYTES + k.length + 3 * Long.BYTES + Integer.BYTES + e.keyValue().valueLength();
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(events.size());
        for (int i = 0; i < events.size(); i++) {
            WatchEvent e = events.get(i);
            KeyValue kv = e.keyValue();
            b.put(e.type() == WatchEvent.Type.PUT ? PUT : DELETE).putInt(keys.get(i).length).put(keys.get(i))
                    .putLong(kv.createRevision()).putLong(kv.version()).putLong(kv.lease())
                    .putInt(kv.valueLength()).put(kv.value());
        }
        return b.array();
    }

    /** The events of {@code revision} whose key starts with {@code prefix}, in their stored order. */
    static List<WatchEvent> decodeEvents(long revision, byte[] entry, String prefix) {
        try {
            ByteBuffer b = ByteBuffer.wrap(entry);
            int count = b.getInt();
            List<WatchEvent> out = new ArrayList<>(Math.min(count, 16));
            for (int i = 0; i < count; i++) {
                byte type = b.get();
                byte[] k = new byte[b.getInt()];
                b.get(k);
                long create = b.getLong();
                long version = b.getLong();
                long lease = b.getLong();
                int valueLength = b.getInt();
                String key = new String(k, StandardCharsets.UTF_8);
                if (!key.startsWith(prefix)) {
                    b.position(b.position() + valueLength);
                    continue;
                }
                if (type == DELETE) {
                    b.position(b.position() + valueLength);
                    out.add(new WatchEvent(WatchEvent.Type.DELETE, KeyValue.deleted(key, revision)));
                } else {
                    byte[] value = new byte[valueLength];
                    b.get(value);
                    out.add(new WatchEvent(WatchEvent.Type.PUT, new KeyValue(key, value, create, revision, version, lease)));
                }
            }
            return out;
        } catch (RuntimeException e) {
            throw new StreamingException(io.tidelog.common.ErrorCode.DATA_CORRUPTED,
                    "meta store history of revision " + revision + " is malformed", e);
        }
    }
}
