package io.tidelog.objectstore.s3;

import io.tidelog.objectstore.ObjectStore;
import io.tidelog.objectstore.ObjectStoreProvider;
import java.net.URI;
import java.util.Map;

/** Registers the S3 store under the URI scheme {@code s3}. */
public final class S3ObjectStoreProvider implements ObjectStoreProvider {
    @Override
    public String scheme() {
        return S3ObjectStoreConfig.SCHEME;
    }

    @Override
    public ObjectStore open(URI uri, Map<String, String> settings) {
        return new S3ObjectStore(S3ObjectStoreConfig.from(uri, settings));
    }
}
