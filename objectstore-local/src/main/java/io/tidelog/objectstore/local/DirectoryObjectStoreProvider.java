package io.tidelog.objectstore.local;

import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStoreProvider;
import java.net.URI;
import java.util.Map;

/** Registers the local-directory store under the URI scheme {@code file}. */
public final class DirectoryObjectStoreProvider implements ObjectStoreProvider {
    @Override
    public String scheme() {
        return DirectoryObjectStoreConfig.SCHEME;
    }

    @Override
    public ObjectStore open(URI uri, Map<String, String> settings) {
        return new DirectoryObjectStore(DirectoryObjectStoreConfig.from(uri, settings));
    }
}
