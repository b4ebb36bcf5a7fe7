package io.tidelog.parquet;

import io.tidelog.proto.CollectionSchema;

/**
 * What the footer of a segment file says ({@link ParquetLayout}): whose rows it holds, under which schema,
 * and how they are grouped.
 *
 * @param collectionId  the collection
 * @param partitionId   the segment's partition
 * @param segmentId     the segment
 * @param vchannel      the vchannel the segment grew on
 * @param schemaVersion the version of the collection schema the file was written with
 * @param schema        that schema ({@value ParquetLayout#SCHEMA}, read with {@code SchemaJson}): one
 *                      column per field, in this order
 * @param rows          the rows of the file
 * @param rowGroups     the row groups of the file, the unit {@link SegmentFileReader#readRowGroup} reads
 */
public record SegmentFooter(long collectionId, long partitionId, long segmentId, String vchannel, int schemaVersion,
                            CollectionSchema schema, long rows, int rowGroups) {
}
