package io.tidelog.objectstore;

import java.util.Objects;

/**
 * One entry of {@link ObjectStore#list}.
 *
 * @param key  the object's key, relative to the store's root
 * @param size the object's length in bytes
 */
public record ObjectInfo(String key, long size) {
    public ObjectInfo {
        Objects.requireNonNull(key, "key");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " of " + key);
        }
    }
}
