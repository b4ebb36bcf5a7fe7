package io.tidelog.wal;

import java.util.Map;

/**
 * The {@code ServiceLoader} entry of a backend ({@code META-INF/services/io.tidelog.wal.WalBackendProvider}).
 */
public interface WalBackendProvider {

    /** The lowercase name users select the backend by. */
    String name();

    /**
     * Creates a backend from string properties (keys prefixed {@code wal.<name>.}). The backend's own
     * configuration class validates them once and fails with {@code INVALID_ARGUMENT} naming the key.
     */
    WalBackend create(Map<String, String> properties);
}
