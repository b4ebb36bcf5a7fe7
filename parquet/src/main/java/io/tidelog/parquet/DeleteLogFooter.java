package io.tidelog.parquet;

import io.tidelog.proto.CollectionSchema;

/**
 * What the footer of a delete log says ({@link ParquetLayout}). A delete log belongs to no segment or
 * partition: its deletes apply to every partition of the collection.
 *
 * @param collectionId  the collection
 * @param vchannel      the vchannel the deletes were read from
 * @param schemaVersion the version of the collection schema the log was written with
 * @param schema        that schema: its primary key's type is the key column's type
 * @param rows          the deleted keys in the log
 */
public record DeleteLogFooter(long collectionId, String vchannel, int schemaVersion, CollectionSchema schema,
                              long rows) {
}
