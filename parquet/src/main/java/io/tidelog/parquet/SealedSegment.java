package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;

/**
 * The identity of a sealed segment being flushed: where its rows came from and where they belong.
 *
 * @param collectionId the collection (positive)
 * @param partitionId  the partition (positive; the node has resolved the default partition)
 * @param segmentId    the segment (positive, from the TSO: unique in the cluster)
 * @param vchannel     the vchannel the segment grew on
 */
public record SealedSegment(long collectionId, long partitionId, long segmentId, String vchannel) {
    /** @throws StreamingException {@code INVALID_ARGUMENT} for an id below 1 or a bad vchannel name */
    public SealedSegment {
        if (collectionId < 1 || partitionId < 1 || segmentId < 1) {
            throw StreamingException.invalidArgument("a sealed segment needs positive ids, got collection "
                    + collectionId + ", partition " + partitionId + ", segment " + segmentId);
        }
        Vchannels.validateVchannel(vchannel);
    }
}
