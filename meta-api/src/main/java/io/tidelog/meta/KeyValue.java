package io.tidelog.meta;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A key with its value and its revisions, as etcd's {@code mvccpb.KeyValue}.
 *
 * @param key            the key
 * @param value          the value (copied in and out: callers cannot change a stored value by accident)
 * @param createRevision the revision of the write that created the key (since it last did not exist)
 * @param modRevision    the revision of the last write of the key; in a {@link WatchEvent.Type#DELETE}
 *                       event, the revision of the delete
 * @param version        the number of writes of the key since its creation (1 after the creating put);
 *                       0 in a delete event
 * @param lease          the lease the key is attached to, or {@link MetaStore#NO_LEASE}
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long lease) {
    private static final byte[] EMPTY = new byte[0];

    public KeyValue {
        Objects.requireNonNull(key, "key");
        value = value == null || value.length == 0 ? EMPTY : value.clone();
    }

    /** The key as a delete event carries it: no value, {@code modRevision} = the delete's revision. */
    public static KeyValue deleted(String key, long revision) {
        return new KeyValue(key, EMPTY, 0, revision, 0, MetaStore.NO_LEASE);
    }

    /** A copy of the value. */
    @Override
    public byte[] value() {
        return value.length == 0 ? EMPTY : value.clone();
    }

    /** The value decoded as UTF-8. */
    public String valueUtf8() {
        return new String(value, StandardCharsets.UTF_8);
    }

    public int valueLength() {
        return value.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && key.equals(kv.key) && Arrays.equals(value, kv.value)
                && createRevision == kv.createRevision && modRevision == kv.modRevision
                && version == kv.version && lease == kv.lease;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version, lease);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + ", " + value.length + " bytes, create=" + createRevision + ", mod=" + modRevision
                + ", version=" + version + (lease == MetaStore.NO_LEASE ? "" : ", lease=" + lease) + "]";
    }
}
