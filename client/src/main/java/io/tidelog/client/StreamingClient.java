package io.tidelog.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannelBuilder;
import io.tidelog.common.Closeables;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.HostPort;
import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import io.tidelog.message.MessageKind;
import io.tidelog.message.MessageLimits;
import io.tidelog.message.MutableMessage;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.CoordinatorGrpc;
import io.tidelog.proto.DrainNodeRequest;
import io.tidelog.proto.DrainNodeResponse;
import io.tidelog.proto.GetStatusRequest;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The Tidelog streaming client: appends messages to vchannels and reads them back, following the pchannel
 * assignment of the cluster.
 *
 * <pre>
 * StreamingClient ──WatchAssignments──▶ leading coordinator (targets) assignment: pchannel → (term, node, address)
 *   append(vchannel m) ─▶ pchannel of m ─▶ ResumableProducer (one per pchannel, shared by its vchannels)
 *                                            └─ one Produce stream ─▶ one channel per node address
 *   consumer(options)  ─▶ ResumableConsumer ─ Consume stream ─────────▶ (the same channels)
 * </pre>
 *
 * <p><b>Coordinators.</b> The client is given one or more coordinator addresses ({@link Builder#target}); one
 * coordinator leads, the others are standbys that refuse with {@code NOT_LEADER}, naming the leader when they
 * know it. The assignment watch, {@link #status()}, reports of refusing nodes and the {@link #collections()}
 * calls go to the one the client takes for the leader: the first address at the start; after a
 * {@code NOT_LEADER} the leader it names, else (and after a broken or refused connection) the next address,
 * waiting the reconnect backoff once per round through the list. Unary calls do so within their deadline and
 * then fail with the last error ({@code NOT_LEADER} or {@code ON_SHUTDOWN}, both retriable); the watch keeps
 * trying. Appends and consumers talk to nodes, whose addresses the assignment names.
 *
 * <p><b>Appends.</b> {@link #append} checks the message at once (a type clients may send, the size limit,
 * no node-set fields: otherwise {@code INVALID_ARGUMENT} and nothing is sent), then queues it on its
 * pchannel's producer. When the pchannel has no assignment yet, or its node answers that it does not serve
 * it ({@link ErrorCode#isWrongNode()}: reported to the coordinator), or the stream breaks, the producer waits
 * for the next assignment or a backoff, reopens, and sends the waiting appends: all within the append
 * timeout. The future of an append fails with:
 * <ul>
 *   <li>{@code INVALID_ARGUMENT}: the message was rejected, by the client or the node; nothing was written;</li>
 *   <li>{@code NOT_FOUND}: the cluster has no such pchannel (its assignment snapshots list every pchannel);
 *       nothing was sent. Until the first snapshot arrives this is not known, and the append waits;</li>
 *   <li>{@code RESOURCE_EXHAUSTED}: too many appends wait to be sent on the pchannel; nothing was sent;</li>
 *   <li>{@code UNAUTHENTICATED}, {@code PERMISSION_DENIED}: the server checks tokens ({@link Builder#token}) and the
 *       client's has none, an unknown one, or a role that may not write (or may not append DDL); nothing was
 *       written. While the coordinator refuses the client's assignment watch so, appends fail at once;</li>
 *   <li>{@code TIMEOUT}: not sent within the append timeout (nothing written), or sent and not answered
 *       ("outcome unknown");</li>
 *   <li>{@code ON_SHUTDOWN} "outcome unknown": the stream broke while the append was in flight; it may or may
 *       not be in the log, and the client does not re-send it (that could write it twice);</li>
 *   <li>{@code ON_SHUTDOWN}: the client was closed before sending it;</li>
 *   <li>any other code the node answered for this message.</li>
 * </ul>
 * Judge a failure by {@link ErrorCode#isNothingWritten()}: it holds only where nothing can have been written, so
 * the append may be retried as it is; otherwise ({@link ErrorCode#isOutcomeUnknown()}, {@code ON_SHUTDOWN} and
 * {@code TIMEOUT} included, whatever the message says) only a retry with the same idempotency key is safe.
 * Appends to one pchannel are sent in the order {@code append} accepted them; results may arrive in any order.
 *
 * <p><b>Transactions.</b> {@link #txn} starts a transaction on one vchannel ({@link Txn}); {@link #appendAll}
 * appends several messages to one vchannel as one transaction. Consumers see a committed transaction as one
 * {@code TXN} message ({@link io.tidelog.message.ImmutableMessage#txnMessages()}) and nothing of any other.
 *
 * <p><b>Errors on the wire.</b> A call-level gRPC error carrying the {@code tidelog-error-code} trailer maps to
 * that code; a transport failure ({@code UNAVAILABLE}, a reset connection) maps to {@code ON_SHUTDOWN}, which is
 * retriable (see {@link io.tidelog.message.GrpcErrors} for the whole table).
 *
 * <p><b>Threads.</b> Thread-safe. gRPC callbacks run on the client's executor (see {@link Builder#executor}),
 * and futures complete there, or on the calling thread for immediate failures: callbacks attached to them
 * should not block (use the {@code *Async} variants to move work elsewhere). One timer thread handles timeouts
 * (one deadline sweep per pchannel, not a timer per append), backoffs and lingers, and hands all work to the
 * executor.
 *
 * <p><b>Lifecycle.</b> {@link #close()} closes consumers, producers (failing their pending appends as above),
 * the assignment watch, the channels, the timer and the executor (if the client made it), in that order, the
 * reverse of starting. Idempotent.
 */
public final class StreamingClient implements AutoCloseable {
    private final ClientConfig config;
    private final ExecutorService ownedExecutor;
    private final ScheduledThreadPoolExecutor timer;
    private final NodeChannels channels;
    private final Coordinators coordinators;
    private final AssignmentWatcher assignments;
    private final ClientContext ctx;
    private final ConcurrentHashMap<String, ResumableProducer> producers = new ConcurrentHashMap<>();
    /**
     * Vchannels whose name was checked, with the producer of their pchannel: appends to them skip parsing the name.
     * At most {@link #MAX_ROUTES}; names beyond that are parsed on every append.
     */
    private final ConcurrentHashMap<String, ResumableProducer> routes = new ConcurrentHashMap<>();
    private static final int MAX_ROUTES = 10_000;
    /** The header of every {@code RAW} message (it has no fields). */
    private static final MessageHeader RAW_HEADER = MutableMessage.builder(MessageType.RAW, "raw_header").build().header();
    private final Set<ResumableConsumer> consumers = ConcurrentHashMap.newKeySet();
    /** The writes {@link Consistency#SESSION} queries wait for: those of insert, delete and upsert. */
    private final SessionTimeTicks session = new SessionTimeTicks();
    /** Collection descriptions {@link Queries} remembers (see there). */
    private final Map<String, CollectionDescription> queryDescriptions = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Prefix of the keys {@link Builder#idempotentAppends} gives: random per client, so clients never collide. */
    private final String clientId = java.util.UUID.randomUUID().toString();
    private final java.util.concurrent.atomic.AtomicLong keySequence = new java.util.concurrent.atomic.AtomicLong();

    private StreamingClient(Builder b) {
        this.config = b.config();
        this.ownedExecutor = b.executor == null ? Executors.newCachedThreadPool(threads("tidelog-client-")) : null;
        Executor executor = b.executor != null ? b.executor : ownedExecutor;
        this.timer = new ScheduledThreadPoolExecutor(1, threads("tidelog-client-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        this.channels = new NodeChannels(b.channelBuilders, executor, config.maxInboundMessageBytes(), b.security());
        this.coordinators = new Coordinators(config.targets());
        this.assignments = new AssignmentWatcher(coordinators);
        this.ctx = new ClientContext(config, executor, timer, channels, coordinators, assignments);
        assignments.start(ctx, this::assignmentsChanged);
    }

    /** Starts configuring a client. */
    public static Builder builder() {
        return new Builder();
    }

    /** The limits messages are checked against before sending. */
    public MessageLimits messageLimits() {
        return config.limits();
    }

    /**
     * Appends {@code message} to its vchannel. Never throws for a problem with the message or the cluster: the
     * future fails as the class comment lists.
     */
    public CompletableFuture<Appended> append(MutableMessage message) {
        Objects.requireNonNull(message, "message");
        try {
            check(message);
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return send(message.envelope(), message.serializedSize());
    }

    /**
     * Queues a checked envelope on its pchannel's producer: the one way anything is sent (plain appends and the
     * steps of a {@link Txn}). Fails as {@link #append} says.
     */
    CompletableFuture<Appended> send(MessageEnvelope envelope, int bytes) {
        String vchannel = envelope.getVchannel();
        ResumableProducer p = routes.get(vchannel);
        String pchannel;
        if (p != null) {
            pchannel = p.pchannel();
        } else {
            try {
                pchannel = Vchannels.pchannelOf(vchannel);
            } catch (StreamingException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (closed) {
            return CompletableFuture.failedFuture(StreamingException.onShutdown("the client is closed"));
        }
        if (assignments.cannotServe(pchannel)) {
            return CompletableFuture.failedFuture(assignments.whyCannotServe(pchannel));
        }
        if (p == null) {
            p = producers.computeIfAbsent(pchannel, pc -> new ResumableProducer(pc, ctx));
            if (routes.size() < MAX_ROUTES) {
                routes.putIfAbsent(vchannel, p);
            }
        }
        if (closed) {
            p.close(); // close() may have passed it by: it fails this append with ON_SHUTDOWN
        }
        MessageEnvelope sent = envelope;
        int size = bytes;
        if (config.idempotentAppends() && sent.getIdempotencyKey().isEmpty()) {
            sent = sent.toBuilder().setIdempotencyKey(nextIdempotencyKey()).build();
            size = sent.getSerializedSize();
        }
        return p.append(sent, size);
    }

    private String nextIdempotencyKey() {
        return clientId + "/" + keySequence.incrementAndGet();
    }

    /**
     * Starts a transaction on {@code vchannel} with the node's default keepalive ({@code txn.keepalive}, 10 s):
     * its BeginTxn is sent at once; see {@link Txn}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a malformed vchannel name
     */
    public Txn txn(String vchannel) {
        return txn(vchannel, Duration.ZERO);
    }

    /**
     * Starts a transaction on {@code vchannel} that the node keeps for {@code keepalive} after its begin and after
     * each body ({@link Duration#ZERO}: the node's default, {@code txn.keepalive}); see {@link Txn}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} for a malformed vchannel name or a negative keepalive
     */
    public Txn txn(String vchannel, Duration keepalive) {
        return new Txn(this, vchannel, keepalive);
    }

    /**
     * Appends {@code messages} to {@code vchannel} atomically, in order, as one transaction: consumers see them
     * as one {@code TXN} message, or none of them. If the transaction expires ({@code TRANSACTION_EXPIRED}: it
     * was slower than its keepalive, or its pchannel moved to another term meanwhile) the whole transaction is
     * tried once more, as a new transaction; nothing of the expired one is ever delivered.
     *
     * @return the transaction's commit: its id and time tick are where the {@code TXN} message sits, and its
     *         {@link Appended#txnId()} names the transaction. Fails as {@link Txn#commit()} does;
     *         {@code INVALID_ARGUMENT} at once for an empty list
     */
    public CompletableFuture<Appended> appendAll(String vchannel, List<MutableMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("appendAll needs at least one message"));
        }
        List<MutableMessage> copy = List.copyOf(messages);
        return appendAllOnce(vchannel, copy).handle((r, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(r);
            }
            StreamingException cause = StreamingException.from(e);
            return cause.code() == ErrorCode.TRANSACTION_EXPIRED ? appendAllOnce(vchannel, copy)
                    : CompletableFuture.<Appended>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<Appended> appendAllOnce(String vchannel, List<MutableMessage> messages) {
        Txn t;
        try {
            t = txn(vchannel);
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        messages.forEach(t::append);
        return t.commit();
    }

    /** {@link #appendAll} and wait; see {@link #appendBlocking}. */
    public Appended appendAllBlocking(String vchannel, List<MutableMessage> messages) {
        return await(appendAll(vchannel, messages));
    }

    /**
     * Appends a {@code RAW} message carrying {@code payload}; see {@link #append}.
     *
     * <p>The array is wrapped, not copied: it is sent from where it is, so the caller must not change it until
     * the returned future completes (the message would then carry whatever the array held when it was sent, and
     * its size as checked). Reusing one unchanging array for many appends is fine. To hand over a copy, pass
     * {@code payload.clone()}.
     */
    public CompletableFuture<Appended> appendRaw(String vchannel, byte[] payload) {
        return appendRaw(vchannel, payload, Map.of());
    }

    /**
     * Appends a {@code RAW} message carrying {@code payload} and application {@code properties}; see {@link #append}.
     * The array is wrapped, not copied, as {@link #appendRaw(String, byte[])} says.
     */
    public CompletableFuture<Appended> appendRaw(String vchannel, byte[] payload, Map<String, String> properties) {
        return appendRawWrapped(vchannel, UnsafeByteOperations.unsafeWrap(Objects.requireNonNull(payload, "payload")),
                properties);
    }

    /**
     * Appends a {@code RAW} message carrying the remaining bytes of {@code payload} (from its position to its
     * limit, as they are when this is called; the buffer's position is left as it is); see {@link #append}.
     *
     * <p>The buffer's content is wrapped, not copied: the caller must not change those bytes until the returned
     * future completes, as {@link #appendRaw(String, byte[])} says.
     */
    public CompletableFuture<Appended> appendRaw(String vchannel, ByteBuffer payload) {
        return appendRaw(vchannel, payload, Map.of());
    }

    /**
     * {@link #appendRaw(String, ByteBuffer)} with application {@code properties}; the bytes are wrapped, not
     * copied.
     */
    public CompletableFuture<Appended> appendRaw(String vchannel, ByteBuffer payload, Map<String, String> properties) {
        return appendRawWrapped(vchannel, UnsafeByteOperations.unsafeWrap(Objects.requireNonNull(payload, "payload")),
                properties);
    }

    /**
     * A {@code RAW} append of a payload the caller promised not to change. Without properties, to a vchannel
     * whose name checks (or was checked before), the envelope is built directly, with its idempotency key if the
     * client gives keys: the same envelope the message builder makes, checked for size the same way.
     */
    private CompletableFuture<Appended> appendRawWrapped(String vchannel, ByteString payload, Map<String, String> properties) {
        Objects.requireNonNull(properties, "properties");
        if (vchannel == null || !properties.isEmpty()
                || (!routes.containsKey(vchannel) && !Vchannels.isValidVchannel(vchannel))) {
            MutableMessage m;
            try {
                m = MutableMessage.builder(MessageType.RAW, vchannel).payload(payload).properties(properties)
                        .limits(config.limits()).build();
            } catch (StreamingException e) {
                return CompletableFuture.failedFuture(e);
            }
            return append(m);
        }
        MessageEnvelope.Builder b = MessageEnvelope.newBuilder().setType(MessageType.RAW).setVchannel(vchannel)
                .setHeader(RAW_HEADER).setPayload(payload);
        if (config.idempotentAppends()) {
            b.setIdempotencyKey(nextIdempotencyKey());
        }
        MessageEnvelope envelope = b.build();
        int size = envelope.getSerializedSize();
        if (size > config.limits().maxMessageBytes()) {
            return CompletableFuture.failedFuture(tooLarge(size));
        }
        return send(envelope, size);
    }

    /**
     * {@link #append} and wait; returns within the append timeout.
     *
     * @throws StreamingException as the future would fail; {@code ON_SHUTDOWN} if interrupted (the append's
     *         outcome is then unknown)
     */
    public Appended appendBlocking(MutableMessage message) {
        return await(append(message));
    }

    /** {@link #appendRaw(String, byte[])} and wait; see {@link #appendBlocking}. */
    public Appended appendRawBlocking(String vchannel, byte[] payload) {
        return await(appendRaw(vchannel, payload));
    }

    /**
     * Starts reading; the consumer connects in the background and {@link ResumableConsumer#poll} returns what
     * arrives. Close it when done (closing the client closes it too).
     *
     * @throws StreamingException {@code ON_SHUTDOWN} if the client is closed
     */
    public ResumableConsumer consumer(ConsumerOptions options) {
        Objects.requireNonNull(options, "options");
        if (closed) {
            throw StreamingException.onShutdown("the client is closed");
        }
        ResumableConsumer[] self = new ResumableConsumer[1];
        ResumableConsumer c = new ResumableConsumer(options, ctx, () -> consumers.remove(self[0]));
        self[0] = c;
        consumers.add(c);
        if (closed) {
            c.close();
            throw StreamingException.onShutdown("the client is closed");
        }
        c.start();
        return c;
    }

    /**
     * Follows where the leading coordinator placed the replicas of vchannels (collections created with more than
     * one replica): {@code listener} gets every replica of the cluster now, if an assignment snapshot has arrived,
     * and again after every snapshot, on the client's thread that received it (it must not block). Close the
     * result to stop.
     */
    public AutoCloseable watchReplicas(Consumer<List<ReplicaLocation>> listener) {
        Objects.requireNonNull(listener, "listener");
        return assignments.watchReplicas(listener);
    }

    /**
     * The leading coordinator's view of the cluster. Fails with the mapped call error ({@code ON_SHUTDOWN} if no
     * coordinator can be reached, {@code NOT_LEADER} if none leads, {@code TIMEOUT} after the append timeout).
     */
    public CompletableFuture<ClusterStatus> status() {
        return CoordinatorCalls.<CoordinatorGrpc.CoordinatorStub, io.tidelog.proto.ClusterStatus, ClusterStatus>call(
                ctx, CoordinatorGrpc::newStub, config.appendTimeout(),
                (stub, out) -> stub.getStatus(GetStatusRequest.getDefaultInstance(), out), ClusterStatus::fromProto);
    }

    /**
     * Moves every pchannel off node {@code nodeId} (its current session), each handed over gracefully, and keeps
     * new ones off it until that session ends; completes with the drained session's id once the node holds none.
     * Fails with {@code NOT_FOUND} if the node has no live session, {@code TIMEOUT} after {@code timeout} (the drain
     * goes on: no other node may be able to take the pchannels yet).
     */
    public CompletableFuture<Long> drainNode(String nodeId, Duration timeout) {
        DrainNodeRequest r = DrainNodeRequest.newBuilder().setNodeId(nodeId).build();
        return CoordinatorCalls.<CoordinatorGrpc.CoordinatorStub, DrainNodeResponse, Long>call(ctx,
                CoordinatorGrpc::newStub, timeout, (stub, out) -> stub.drainNode(r, out), DrainNodeResponse::getSessionId);
    }

    /** {@link #drainNode} and wait. */
    public long drainNodeBlocking(String nodeId, Duration timeout) {
        return await(drainNode(nodeId, timeout));
    }

    /** {@link #status()} and wait. */
    public ClusterStatus statusBlocking() {
        return await(status());
    }

    /** Durable subscriptions: list, delete, and commit or create them by hand. */
    public Subscriptions subscriptions() {
        return new Subscriptions(ctx, Subscriptions.DEFAULT_TIMEOUT);
    }

    // ------------------------------------------------------------------ collections

    /**
     * Queries, gets and vector searches on collections, with deadlines of {@link QueryOptions#DEFAULT_TIMEOUT} unless
     * their options say otherwise.
     */
    public Queries queries() {
        return new Queries(ctx, collections(), session, queryDescriptions);
    }

    /** The collection catalog: DDL and reads, with deadlines of {@link Collections#DEFAULT_TIMEOUT}. */
    public Collections collections() {
        return new Collections(ctx, Collections.DEFAULT_TIMEOUT);
    }

    /**
     * Inserts rows into the {@code _default} partition of a collection; see
     * {@link #insert(CollectionDescription, String, List, long)}. Describes the collection first.
     */
    public CompletableFuture<WriteResult> insert(String collection, List<? extends Map<String, ?>> rows) {
        return insert(collection, CollectionDescription.DEFAULT_PARTITION, rows);
    }

    /** Inserts rows into a partition of a collection; describes the collection first. */
    public CompletableFuture<WriteResult> insert(String collection, String partition, List<? extends Map<String, ?>> rows) {
        return collections().describe(collection).thenCompose(c -> insert(c, partition, rows, 0));
    }

    /**
     * Inserts rows into a partition of the described collection: each row is checked against the schema (see
     * {@code RowBatch}) and routed to the shard of its primary key ({@code PrimaryKeyHash}); each vchannel's
     * rows go as one columnar Insert message, appended like any other. Atomic per vchannel (one message), not
     * across vchannels: if one append fails, others may have succeeded. Calls made one after another are
     * appended in that order on each vchannel (one produce stream per pchannel keeps its order).
     *
     * @param firstRowNumber how errors number {@code rows.get(0)} ("row N: field 'f': ..."); the rest follow
     * @return fails with {@code INVALID_ARGUMENT} naming the row and field before anything is sent, with
     *         {@code NOT_FOUND} for a collection or partition that takes no rows, or as {@link #append} does
     */
    public CompletableFuture<WriteResult> insert(CollectionDescription collection, String partition,
                                                 List<? extends Map<String, ?>> rows, long firstRowNumber) {
        List<MutableMessage> messages;
        try {
            messages = CollectionWriter.inserts(collection, partition, rows, firstRowNumber, config.limits());
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return appendAll(collection.id(), rows.size(), messages);
    }

    /** Deletes rows by primary key ({@link Long}s or {@link String}s); describes the collection first. */
    public CompletableFuture<WriteResult> delete(String collection, List<?> primaryKeys) {
        return collections().describe(collection).thenCompose(c -> delete(c, primaryKeys));
    }

    /**
     * Deletes rows of the described collection by primary key: the keys are routed as inserted rows are, and
     * each vchannel's keys go as one Delete message. Atomic per vchannel, not across vchannels.
     */
    public CompletableFuture<WriteResult> delete(CollectionDescription collection, List<?> primaryKeys) {
        List<MutableMessage> messages;
        try {
            messages = CollectionWriter.deletes(collection, primaryKeys, config.limits());
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return appendAll(collection.id(), primaryKeys.size(), messages);
    }

    /** Upserts rows into the {@code _default} partition; see {@link #upsert(CollectionDescription, String, List, long)}. */
    public CompletableFuture<WriteResult> upsert(String collection, List<? extends Map<String, ?>> rows) {
        return collections().describe(collection)
                .thenCompose(c -> upsert(c, CollectionDescription.DEFAULT_PARTITION, rows, 0));
    }

    /**
     * Upserts rows: on each vchannel, a Delete of the rows' primary keys and an Insert of the rows, as one
     * transaction ({@link #appendAll(String, List)}): a consumer sees both or neither, never the old rows
     * gone without the new ones. Atomic per vchannel, not across vchannels.
     *
     * @return as {@link #insert(CollectionDescription, String, List, long)}; each {@link Appended} is a commit
     */
    public CompletableFuture<WriteResult> upsert(CollectionDescription collection, String partition,
                                                 List<? extends Map<String, ?>> rows, long firstRowNumber) {
        List<MutableMessage> inserts;
        List<MutableMessage> deletes;
        try {
            inserts = CollectionWriter.inserts(collection, partition, rows, firstRowNumber, config.limits());
            String pk = collection.schema().getFieldsList().stream().filter(f -> f.getPrimaryKey())
                    .findFirst().orElseThrow().getName();
            List<Object> keys = new ArrayList<>(rows.size());
            for (Map<String, ?> row : rows) {
                keys.add(row.get(pk));
            }
            deletes = CollectionWriter.deletes(collection, keys, config.limits());
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        Map<String, List<MutableMessage>> byVchannel = new java.util.LinkedHashMap<>();
        for (MutableMessage d : deletes) {
            byVchannel.computeIfAbsent(d.vchannel(), v -> new ArrayList<>()).add(d);
        }
        for (MutableMessage i : inserts) {
            byVchannel.computeIfAbsent(i.vchannel(), v -> new ArrayList<>()).add(i);
        }
        List<CompletableFuture<Appended>> commits = new ArrayList<>();
        byVchannel.forEach((v, ms) -> commits.add(appendAll(v, ms).whenComplete(this::wrote)));
        return CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)).thenApply(x ->
                new WriteResult(collection.id(), rows.size(), commits.stream().map(CompletableFuture::join).toList()));
    }

    private CompletableFuture<WriteResult> appendAll(long collectionId, int rows, List<MutableMessage> messages) {
        List<CompletableFuture<Appended>> appends = messages.stream().map(m -> append(m).whenComplete(this::wrote))
                .toList();
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new))
                .thenApply(v -> new WriteResult(collectionId, rows, appends.stream().map(CompletableFuture::join).toList()));
    }

    /** Remembers an acknowledged collection write for {@link Consistency#SESSION} queries. */
    private void wrote(Appended a, Throwable error) {
        if (a != null) {
            session.wrote(a.vchannel(), a.timeTick());
        }
    }

    /** See the class comment. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> order = new ArrayList<>(consumers);
        order.addAll(producers.values());
        order.add(assignments);
        order.add(channels);
        order.add(timer::shutdownNow);
        if (ownedExecutor != null) {
            order.add(ownedExecutor::shutdown);
        }
        Closeables.closeAll(order);
    }

    /** The state of {@code pchannel}'s producer ({@code IDLE}, {@code OPEN}, ...), or null if it has none: for tests. */
    String producerState(String pchannel) {
        ResumableProducer p = producers.get(pchannel);
        return p == null ? null : p.state();
    }

    /** Tasks waiting on the client's timer (timeouts, backoffs, lingers): for tests. */
    int scheduledTimerTasks() {
        return timer.getQueue().size();
    }

    private void assignmentsChanged() {
        producers.values().forEach(ResumableProducer::assignmentsChanged);
        consumers.forEach(ResumableConsumer::assignmentsChanged);
    }

    private void check(MutableMessage m) {
        MessageKind.checkClientMaySend(m.type());
        if (m.timeTick() != 0 || m.lastConfirmedId() != null || m.term() != 0 || m.txn() != null) {
            throw StreamingException.invalidArgument("the message has fields the node sets at append time "
                    + "(time tick, last-confirmed id, term or transaction); send it as built");
        }
        int size = m.serializedSize();
        if (size > config.limits().maxMessageBytes()) {
            throw tooLarge(size);
        }
    }

    private StreamingException tooLarge(int size) {
        return StreamingException.invalidArgument("message of " + size + " bytes exceeds the maximum message size"
                + " of " + config.limits().maxMessageBytes() + " bytes (" + MessageLimits.MAX_BYTES_KEY + ")");
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            StreamingException cause = StreamingException.from(e.getCause());
            throw new StreamingException(cause.code(), cause.detail(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while waiting; the outcome is unknown");
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Configures a {@link StreamingClient}; not thread-safe. Only {@link #target} (or {@link #targets}) is
     * required; every other
     * option has the default its method states.
     */
    public static final class Builder {
        /** Default of {@link #appendTimeout}. */
        public static final Duration DEFAULT_APPEND_TIMEOUT = Duration.ofSeconds(30);
        /** Default of {@link #maxInFlightPerPchannel}. */
        public static final int DEFAULT_MAX_IN_FLIGHT = 4096;
        private boolean idempotentAppends;

        /**
         * Gives every append without an idempotency key one of its own (this client's random id and a
         * sequence number), so that an append whose stream broke is sent again instead of failing with
         * "outcome unknown", and the node writes it once: exactly-once appends within the node's dedup
         * window ({@code dedup.window}, 10 min by default). Off by default: keys cost the node memory
         * ({@code dedup.max.entries} per pchannel).
         */
        public Builder idempotentAppends(boolean enabled) {
            this.idempotentAppends = enabled;
            return this;
        }

        /** Default of {@link #maxInFlightBytesPerPchannel}. */
        public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 64L << 20;
        /** Default of {@link #maxQueuedPerPchannel}. */
        public static final int DEFAULT_MAX_QUEUED = 8192;
        /** Default of {@link #maxQueuedBytesPerPchannel}. */
        public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;
        /** Defaults of {@link #reconnectBackoff}. */
        public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
        public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(5);
        /** How long a node may take to answer a produce stream's open before the client tries again. */
        public static final Duration DEFAULT_OPEN_TIMEOUT = Duration.ofSeconds(10);
        /** Prefix of the keys {@link #properties} reads. */
        public static final String PREFIX = "client.";
        /** The key of {@link #linger} in {@link #properties}. */
        public static final String LINGER_KEY = PREFIX + "linger";
        /** Default of {@link #linger}: none, a batch goes as soon as the stream can take it. */
        public static final Duration DEFAULT_LINGER = Duration.ZERO;
        /** The longest {@link #linger}. */
        public static final Duration MAX_LINGER = Duration.ofSeconds(1);

        private List<String> targets;
        private Duration appendTimeout = DEFAULT_APPEND_TIMEOUT;
        private MessageLimits limits = MessageLimits.defaults();
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private long maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES;
        private int maxQueued = DEFAULT_MAX_QUEUED;
        private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
        private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
        private Duration backoffMax = DEFAULT_BACKOFF_MAX;
        private Duration openTimeout = DEFAULT_OPEN_TIMEOUT;
        private Duration linger = DEFAULT_LINGER;
        private Executor executor;
        private Function<String, ManagedChannelBuilder<?>> channelBuilders;
        private String token;
        private Path tlsCa;
        private Path tlsCert;
        private Path tlsKey;

        private Builder() {
        }

        /**
         * {@code host:port} of the coordinator (in standalone: the one server), or several, comma-separated
         * ({@code h1:19530,h2:19530}): the coordinators of a cluster, of which the client follows the leader (see
         * the class comment); an IPv6 address goes in brackets. Required.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} if an element is not {@code host:port}
         *         ({@link HostPort}) or is empty
         */
        public Builder target(String hostPorts) {
            Objects.requireNonNull(hostPorts, "target");
            return targets(List.of(hostPorts.split(",", -1)));
        }

        /**
         * The coordinators' {@code host:port}s, as {@link #target} takes them comma-separated; the client starts
         * with the first. Duplicates count once.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} for an empty list or an element that is not
         *         {@code host:port}
         */
        public Builder targets(List<String> hostPorts) {
            Objects.requireNonNull(hostPorts, "targets");
            if (hostPorts.isEmpty()) {
                throw StreamingException.invalidArgument("no coordinator address: " + HostPort.FORM);
            }
            java.util.LinkedHashSet<String> parsed = new java.util.LinkedHashSet<>();
            for (int i = 0; i < hostPorts.size(); i++) {
                String a = hostPorts.get(i);
                if (a == null || a.isBlank()) {
                    throw StreamingException.invalidArgument("coordinator address " + (i + 1) + " of "
                            + hostPorts.size() + " is empty: give " + HostPort.FORM + "[,HOST:PORT...]");
                }
                parsed.add(HostPort.parse(a.strip()).toString());
            }
            this.targets = List.copyOf(parsed);
            return this;
        }

        /**
         * How long an append may take in all, waiting for a ready node included (default 30 s); also the
         * deadline of {@link #status()}.
         */
        public Builder appendTimeout(Duration timeout) {
            this.appendTimeout = positive("append timeout", timeout);
            return this;
        }

        /** The limits messages are checked against before sending (default {@link MessageLimits#defaults()}). */
        public Builder messageLimits(MessageLimits messageLimits) {
            this.limits = Objects.requireNonNull(messageLimits, "messageLimits");
            return this;
        }

        /**
         * Bytes of appends sent and not yet answered on one pchannel's stream (default 64 MiB, at least 1;
         * one append larger than this still goes, alone).
         */
        public Builder maxInFlightBytesPerPchannel(long max) {
            this.maxInFlightBytes = atLeastOne("max in-flight bytes", max);
            return this;
        }

        /** Appends sent and not yet answered on one pchannel's stream (default 4096, at least 1). */
        public Builder maxInFlightPerPchannel(int max) {
            this.maxInFlight = atLeastOne("max in flight", max);
            return this;
        }

        /**
         * Appends waiting to be sent on one pchannel (default 8192, at least 1); one more fails at once with
         * {@code RESOURCE_EXHAUSTED}.
         */
        public Builder maxQueuedPerPchannel(int max) {
            this.maxQueued = atLeastOne("max queued", max);
            return this;
        }

        /**
         * Bytes of the appends waiting to be sent on one pchannel (default 64 MiB); one more fails at once with
         * {@code RESOURCE_EXHAUSTED}, except that a single append is always accepted into an empty queue.
         */
        public Builder maxQueuedBytesPerPchannel(long max) {
            this.maxQueuedBytes = atLeastOne("max queued bytes", max);
            return this;
        }

        /** Delays between reconnection attempts: {@code initial}, doubling up to {@code max} (default 100 ms, 5 s). */
        public Builder reconnectBackoff(Duration initial, Duration max) {
            this.backoffInitial = positive("initial backoff", initial);
            this.backoffMax = positive("max backoff", max);
            if (max.compareTo(initial) < 0) {
                throw StreamingException.invalidArgument("max backoff " + max + " is below the initial " + initial);
            }
            return this;
        }

        /** How long a node may take to confirm a produce stream's open (default 10 s). */
        public Builder openTimeout(Duration timeout) {
            this.openTimeout = positive("open timeout", timeout);
            return this;
        }

        /**
         * How long a pchannel's appends may wait for more to share a request ({@code client.linger}; default 0,
         * at most 1 s). With 0 an append goes as soon as the stream can take it: at once on an idle stream, else
         * with whatever queued meanwhile. With more, a request that is not full (fewer appends or bytes than a
         * request or the in-flight room takes) is sent once its oldest append has waited this long: fewer, larger
         * requests at moderate rates, for up to this much more latency. Full requests never wait.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} for a negative linger or one above 1 s
         */
        public Builder linger(Duration linger) {
            Objects.requireNonNull(linger, "linger");
            if (linger.isNegative() || linger.compareTo(MAX_LINGER) > 0) {
                throw StreamingException.invalidArgument("linger (" + LINGER_KEY + ") must lie in [0, "
                        + MAX_LINGER.toMillis() + " ms], got " + linger.toMillis() + " ms");
            }
            this.linger = linger;
            return this;
        }

        /**
         * Sets the options given as properties, the way the server reads its configuration ({@link Settings}:
         * durations as {@code 5ms}, {@code 1s} or plain milliseconds): {@value #LINGER_KEY} ({@link #linger}).
         * Keys outside {@value #PREFIX} are ignored, so one map may configure several components; options whose
         * key is absent keep their value.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} for a value out of range, or an unknown key under
         *         {@value #PREFIX} (a typo must not pass silently)
         */
        public Builder properties(Map<String, String> properties) {
            Settings s = new Settings(Objects.requireNonNull(properties, "properties"));
            Duration l = s.duration(LINGER_KEY, linger, Duration.ZERO, MAX_LINGER);
            s.rejectUnknown(PREFIX);
            return linger(l);
        }

        /**
         * The executor of gRPC callbacks and future completions; the caller keeps ownership. Default: a cached
         * pool of daemon threads the client owns and shuts down on close.
         */
        public Builder executor(Executor callbackExecutor) {
            this.executor = Objects.requireNonNull(callbackExecutor, "executor");
            return this;
        }

        /**
         * How an address ({@code host:port} of the coordinator or of a node) becomes a channel builder; the
         * client then sets its executor and inbound size limit, builds the channel and owns it. Default:
         * plaintext HTTP/2 (grpc-netty-shaded) with keepalive. Tests pass in-process builders.
         */
        public Builder channelBuilders(Function<String, ManagedChannelBuilder<?>> builders) {
            this.channelBuilders = Objects.requireNonNull(builders, "builders");
            return this;
        }

        /**
         * The token sent with every call ({@code authorization: Bearer TOKEN}), for servers with a token file
         * ({@code security.tokens.file}); its role decides what the client may call. Default: none; a server that
         * checks tokens then fails every call with {@code UNAUTHENTICATED}. {@code null} removes it.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} (at {@link #build()}) for a token that is not one word
         *         of printable ASCII
         */
        public Builder token(String bearerToken) {
            this.token = bearerToken;
            return this;
        }

        /**
         * Speaks TLS to every address, trusting the certificates of this PEM file (the CA that signed the servers'
         * certificates, or a server's own self-signed one); the certificates must name the host the client dials.
         * Default: plaintext. {@code null} goes back to plaintext.
         */
        public Builder tlsCa(Path caPemFile) {
            this.tlsCa = caPemFile;
            return this;
        }

        /**
         * Presents this certificate (PEM chain) and its private key (PEM, PKCS#8) to servers that require client
         * certificates ({@code security.tls.client.auth=require}); needs {@link #tlsCa}. Default: none.
         */
        public Builder tlsClientCert(Path certPemFile, Path keyPemFile) {
            this.tlsCert = Objects.requireNonNull(certPemFile, "certPemFile");
            this.tlsKey = Objects.requireNonNull(keyPemFile, "keyPemFile");
            return this;
        }

        /**
         * Starts the client: it begins watching assignments at once.
         *
         * @throws StreamingException {@code INVALID_ARGUMENT} if no target was given, the token is malformed or a TLS
         *         file cannot be read
         */
        public StreamingClient build() {
            security();
            return new StreamingClient(this);
        }

        /** @throws StreamingException {@code INVALID_ARGUMENT} for a malformed token or an unreadable TLS file */
        ChannelSecurity security() {
            return new ChannelSecurity(token, tlsCa, tlsCert, tlsKey);
        }

        ClientConfig config() {
            if (targets == null) {
                throw StreamingException.invalidArgument("the client needs a target: host:port of the coordinator");
            }
            return new ClientConfig(targets, appendTimeout, limits, idempotentAppends, maxInFlight, maxInFlightBytes, maxQueued, maxQueuedBytes,
                    backoffInitial, backoffMax, openTimeout, linger);
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw StreamingException.invalidArgument(what + " must be positive, got " + d);
            }
            return d;
        }

        private static int atLeastOne(String what, long v) {
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw StreamingException.invalidArgument(what + " must lie in [1, " + Integer.MAX_VALUE + "], got " + v);
            }
            return (int) v;
        }
    }
}
