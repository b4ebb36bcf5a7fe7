package io.tidelog.meta;

import java.util.Map;

/**
 * The {@code ServiceLoader} entry of a meta store ({@code META-INF/services/io.tidelog.meta.MetaStoreProvider}).
 */
public interface MetaStoreProvider {

    /** The lowercase name users select the store by. */
    String name();

    /**
     * Opens a store from string properties (keys prefixed {@code meta.<name>.}). The store's own
     * configuration class validates them once and fails with {@code INVALID_ARGUMENT} naming the key.
     */
    MetaStore create(Map<String, String> properties);
}
