package io.tidelog.meta.embedded;

import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStoreProvider;
import java.util.Map;

/** Registers the embedded store under the name {@code embedded}. */
public final class MvStoreMetaStoreProvider implements MetaStoreProvider {
    @Override
    public String name() {
        return MvStoreMetaStore.NAME;
    }

    @Override
    public MetaStore create(Map<String, String> properties) {
        return new MvStoreMetaStore(EmbeddedMetaStoreConfig.from(properties));
    }
}
