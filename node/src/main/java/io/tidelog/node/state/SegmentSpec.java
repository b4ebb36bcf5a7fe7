package io.tidelog.node.state;

import io.tidelog.proto.CreateSegmentHeader;

/**
 * What a segment's CreateSegment says of it: its identity and its limits, fixed for its life.
 *
 * @param schemaVersion the schema version of its rows (0 when not known: a segment only rebuilt from rows)
 * @param maxRows       0: unlimited
 */
public record SegmentSpec(long id, long collectionId, long partitionId, String vchannel, int schemaVersion,
                          long maxBytes, long maxRows) {

    static SegmentSpec of(CreateSegmentHeader h, String vchannel) {
        return new SegmentSpec(h.getSegmentId(), h.getCollectionId(), h.getPartitionId(), vchannel,
                h.getSchemaVersion(), h.getMaxSegmentBytes(), h.getMaxRows());
    }

    public CreateSegmentHeader header() {
        return CreateSegmentHeader.newBuilder().setCollectionId(collectionId).setPartitionId(partitionId)
                .setSegmentId(id).setMaxSegmentBytes(maxBytes).setMaxRows(maxRows).setSchemaVersion(schemaVersion)
                .build();
    }
}
