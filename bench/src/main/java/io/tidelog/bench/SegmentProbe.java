package io.tidelog.bench;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tidelog.client.CollectionDescription;
import io.tidelog.proto.ConsistencyLevel;
import io.tidelog.proto.QueryServiceGrpc;
import io.tidelog.proto.ShardQueryRequest;
import io.tidelog.proto.ShardQueryResponse;
import io.tidelog.proto.ShardRead;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Asks a standalone server's {@code QueryService} directly (the Java client merges answers and does not say) what
 * each vchannel of a collection answers from: its growing segments (rows from the log) and its sealed ones (rows read
 * back from object storage). The probe is a query that selects nothing ({@code pk < 0}: the bench's keys are never
 * negative), so that it costs a pass over the rows but no answer. Closing shuts its channel down.
 */
final class SegmentProbe implements AutoCloseable {
    private static final long PROBE_TIMEOUT_SECONDS = 60;

    private final ManagedChannel channel;

    /** A probe of the server at {@code address} ({@code host:port}; a standalone serves the node's calls too). */
    SegmentProbe(String address) {
        this.channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    }

    /** The segments a collection is answered from, summed over its vchannels. */
    record Segments(int growing, int sealed) {
    }

    /** What the collection's vchannels answer from now ({@code EVENTUALLY}: nothing is waited for). */
    Segments segments(CollectionDescription c, String primaryKey) {
        int growing = 0;
        int sealed = 0;
        for (String v : c.vchannels()) {
            ShardQueryResponse r = QueryServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .query(ShardQueryRequest.newBuilder().setLimit(1).setRead(ShardRead.newBuilder().setVchannel(v)
                            .setCollectionId(c.id()).setConsistency(ConsistencyLevel.EVENTUALLY)
                            .setFilter(primaryKey + " < 0")).build());
            growing += r.getGrowingSegments();
            sealed += r.getSealedSegments();
        }
        return new Segments(growing, sealed);
    }

    /**
     * Waits until the collection is answered from at least {@code sealed} sealed segments, polling every 200 ms.
     *
     * @return what it answers from then
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    Segments awaitSealed(CollectionDescription c, String primaryKey, int sealed, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Segments s = segments(c, primaryKey);
            if (s.sealed() >= sealed) {
                return s;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("collection " + c.name() + " was still answered from " + s.sealed()
                        + " sealed segment(s) (and " + s.growing() + " growing) " + timeout.toSeconds()
                        + " s after a flush that sealed " + sealed + ": the server did not read them back");
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
