package io.tidelog.server;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ReplicaLocation;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StartPosition;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.delegator.Delegators;
import io.tidelog.delegator.VchannelFollower;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.proto.CollectionSchema;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica this node runs: a {@link VchannelFollower} of the vchannel fed by a {@link ResumableConsumer} of it
 * (the client library's, so it follows the pchannel's owner across failovers, exactly once).
 *
 * <pre>
 * feed thread "replica-&lt;vchannel&gt;":
 *   schema    ← the catalog (by collection id; retried until it answers)
 *   follower  ← delegators.follow(...); loadSealed()
 *   consumer  ← the vchannel from its earliest retained message, TimeTicks included (they move tsafe)
 *   loop: accept(next message); run every task handed over meanwhile
 * a failed consumer (e.g. OUT_OF_RANGE) closes the follower and starts again from the top after {@code retry}
 * </pre>
 *
 * <p>Threads: the follower's data is owned by the feed thread: messages and handed-over tasks run only there, one
 * at a time. {@link #close} from any thread stops it and closes the follower (its queries fail with
 * {@code CHANNEL_NOT_EXIST}, which clients retry elsewhere).
 */
final class ReplicaFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFeed.class);
    private static final Duration POLL = Duration.ofMillis(50);

    private final ReplicaLocation replica;
    private final Delegators delegators;
    private final StreamingClient client;
    private final Duration retry;
    private final LinkedBlockingQueue<Runnable> handOvers = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile ResumableConsumer consumer;

    ReplicaFeed(ReplicaLocation replica, Delegators delegators, StreamingClient client, Duration retry) {
        this.replica = replica;
        this.delegators = delegators;
        this.client = client;
        this.retry = retry;
        this.thread = new Thread(this::run, "replica-" + replica.vchannel());
        thread.setDaemon(true);
    }

    ReplicaFeed start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!closed) {
            try {
                feedOnce();
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("replica of {} failed, starting it again in {}: {}", replica.vchannel(), retry, e.toString());
                    pause();
                }
            }
        }
    }

    /** One life of the follower: until the consumer fails or the feed is closed. */
    private void feedOnce() {
        CollectionSchema schema = schema();
        if (schema == null) {
            return;
        }
        handOvers.clear();
        try (VchannelFollower follower = delegators.follow(replica.vchannel(), replica.collectionId(), schema,
                handOvers::add)) {
            follower.loadSealed();
            ResumableConsumer c = client.consumer(ConsumerOptions.vchannel(replica.vchannel())
                    .withStart(StartPosition.earliest()).withTimeTicks(true));
            consumer = c;
            try (c) {
                if (closed) {
                    return;
                }
                LOG.info("replica of {} (collection {}) following its vchannel", replica.vchannel(),
                        replica.collectionId());
                while (!closed) {
                    ImmutableMessage m = c.poll(POLL);
                    if (m != null) {
                        follower.accept(m);
                    }
                    for (Runnable r; (r = handOvers.poll()) != null; ) {
                        r.run();
                    }
                }
            }
        }
    }

    /** The collection's schema from the catalog, or null once closed. */
    private CollectionSchema schema() {
        while (!closed) {
            try {
                for (CollectionDescription c : client.collections().listBlocking()) {
                    if (c.id() == replica.collectionId()) {
                        return c.schema();
                    }
                }
                throw new StreamingException(ErrorCode.NOT_FOUND, "collection "
                        + replica.collectionId() + " is not in the catalog");
            } catch (StreamingException e) {
                LOG.warn("replica of {}: no schema yet, asking again in {}: {}", replica.vchannel(), retry,
                        e.toString());
                pause();
            }
        }
        return null;
    }

    private void pause() {
        synchronized (this) {
            long until = System.nanoTime() + retry.toNanos();
            for (long left = retry.toNanos(); !closed && left > 0; left = until - System.nanoTime()) {
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the feed and closes the follower; waits briefly for the feed thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        ResumableConsumer c = consumer;
        if (c != null) {
            c.close();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(Duration.ofSeconds(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
