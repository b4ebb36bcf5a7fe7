package io.tidelog.meta;

import java.util.Objects;

/**
 * A change of one key seen by a {@link Watch}.
 *
 * @param type     whether the key was written or deleted (by a delete, a prefix delete, a transaction, or
 *                 the expiry or revocation of its lease)
 * @param keyValue for {@link Type#PUT}, the key as written; for {@link Type#DELETE}, the key with no
 *                 value and {@code modRevision} = the revision of the delete
 */
public record WatchEvent(Type type, KeyValue keyValue) {

    public enum Type { PUT, DELETE }

    public WatchEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(keyValue, "keyValue");
    }

    /** The revision of the change; the events of one transaction share it. */
    public long revision() {
        return keyValue.modRevision();
    }

    public String key() {
        return keyValue.key();
    }
}
