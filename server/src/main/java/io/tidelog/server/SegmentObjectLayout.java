package io.tidelog.server;

import io.tidelog.coord.CollectionObjectLayout;
import io.tidelog.parquet.SegmentKeys;

/** The flusher's layout of historical data ({@link SegmentKeys}), handed to the coordinator's garbage collector. */
final class SegmentObjectLayout implements CollectionObjectLayout {
    @Override
    public String collectionPrefix(long collectionId) {
        return SegmentKeys.collectionPrefix(collectionId);
    }

    @Override
    public boolean isManifest(String key) {
        return SegmentKeys.isManifest(key);
    }
}
