package io.tidelog.parquet;

import io.tidelog.proto.DeleteBody;
import java.util.Objects;

/**
 * The primary keys of one delete message, as the WAL holds them.
 *
 * @param body     the deleted primary keys (INT64 or VARCHAR, the collection's key type)
 * @param timeTick the delete's time tick: it deletes rows of those keys inserted before it
 */
public record DeletedKeys(DeleteBody body, long timeTick) {
    public DeletedKeys {
        Objects.requireNonNull(body, "body");
    }
}
