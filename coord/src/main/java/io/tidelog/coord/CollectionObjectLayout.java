package io.tidelog.coord;

/**
 * Where a collection's historical data lies in object storage, as far as removing it needs to know: every object
 * of a collection is under one prefix, and some of them are manifests, the objects that make data files part of
 * the history (a data file without its manifest is invisible). The node's flusher writes that layout (the
 * {@code parquet} module's {@code SegmentKeys}); whoever starts the coordinator hands it over, so the coordinator
 * needs the object store SPI only.
 */
public interface CollectionObjectLayout {

    /** The prefix of every object of collection {@code collectionId}, ending with {@code /}. */
    String collectionPrefix(long collectionId);

    /** Whether {@code key} (an object under a collection prefix) is a manifest. */
    boolean isManifest(String key);
}
