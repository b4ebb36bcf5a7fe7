package io.tidelog.objectstore;

import io.tidelog.common.StreamingException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of object stores on the class path, by URI scheme: {@code file:DIR} or
 * {@code file:/abs/dir} for a local directory, {@code s3://bucket/prefix} for S3.
 */
public final class ObjectStores {
    private ObjectStores() {
    }

    /** Every provider on the class path, by scheme. */
    public static Map<String, ObjectStoreProvider> providers() {
        Map<String, ObjectStoreProvider> byScheme = new TreeMap<>();
        for (ObjectStoreProvider p : ServiceLoader.load(ObjectStoreProvider.class)) {
            ObjectStoreProvider previous = byScheme.putIfAbsent(p.scheme(), p);
            if (previous != null) {
                throw new IllegalStateException("two object stores for scheme " + p.scheme() + ": "
                        + previous.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return byScheme;
    }

    /**
     * Opens the store that {@code uri} names. Characters a URI does not allow (a space in a directory
     * name) are accepted and quoted.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} if {@code uri} is malformed or its scheme
     *         has no store on the class path (the message lists the known schemes), or if the store
     *         rejects its settings
     */
    public static ObjectStore open(String uri, Map<String, String> settings) {
        URI parsed = parse(uri);
        Map<String, ObjectStoreProvider> providers = providers();
        ObjectStoreProvider p = providers.get(parsed.getScheme());
        if (p == null) {
            throw StreamingException.invalidArgument("no object store for scheme '" + parsed.getScheme()
                    + "' of '" + uri + "'; known schemes: " + providers.keySet());
        }
        return p.open(parsed, settings);
    }

    /** {@code uri} as a {@link URI} with a lowercase scheme; {@code INVALID_ARGUMENT} if it has none. */
    static URI parse(String uri) {
        if (uri == null) {
            throw StreamingException.invalidArgument("object store URI is null");
        }
        int colon = uri.indexOf(':');
        String scheme = colon <= 0 ? "" : uri.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw StreamingException.invalidArgument("object store URI '" + uri
                    + "' has no scheme; expected file:DIR or s3://bucket/prefix");
        }
        String rest = uri.substring(colon + 1);
        if (rest.isEmpty()) {
            throw StreamingException.invalidArgument("object store URI '" + uri + "' names no location");
        }
        try {
            return new URI(scheme, rest, null);
        } catch (URISyntaxException e) {
            throw StreamingException.invalidArgument("object store URI '" + uri + "' is malformed: "
                    + e.getMessage());
        }
    }
}
