package io.tidelog.objectstore;

import java.net.URI;
import java.util.Map;

/**
 * The {@code ServiceLoader} entry of an object store
 * ({@code META-INF/services/io.tidelog.objectstore.ObjectStoreProvider}).
 */
public interface ObjectStoreProvider {

    /** The lowercase URI scheme this store serves ({@code file}, {@code s3}). */
    String scheme();

    /**
     * Opens a store at {@code uri} (whose scheme is {@link #scheme()}). {@code settings} may hold keys
     * of other components; the store reads its own ({@code objectstore.<scheme>.*}) through its
     * configuration class, which validates them once and fails with {@code INVALID_ARGUMENT} naming the
     * key, also for an unknown key under its own prefix.
     */
    ObjectStore open(URI uri, Map<String, String> settings);
}
