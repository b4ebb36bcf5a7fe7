package io.tidelog.client;

import java.util.List;

/**
 * The outcome of an insert or delete: one message per vchannel that got rows, each durable.
 *
 * @param collectionId the collection
 * @param rows         rows inserted, or primary keys deleted
 * @param appends      one per vchannel written, in shard order
 */
public record WriteResult(long collectionId, int rows, List<Appended> appends) {
    public WriteResult {
        appends = List.copyOf(appends);
    }
}
