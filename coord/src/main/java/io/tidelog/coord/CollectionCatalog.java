package io.tidelog.coord;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.CollectionSchemas;
import io.tidelog.message.Vchannels;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.proto.AlterCollectionBody;
import io.tidelog.proto.AlterCollectionHeader;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.CreateCollectionBody;
import io.tidelog.proto.CreateCollectionHeader;
import io.tidelog.proto.CreatePartitionBody;
import io.tidelog.proto.CreatePartitionHeader;
import io.tidelog.proto.DropCollectionHeader;
import io.tidelog.proto.DropPartitionHeader;
import io.tidelog.proto.FieldSchema;
import io.tidelog.proto.ManualFlushHeader;
import io.tidelog.proto.MessageEnvelope;
import io.tidelog.proto.MessageHeader;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.Partition;
import io.tidelog.proto.PartitionInfo;
import io.tidelog.proto.PartitionState;
import io.tidelog.state.proto.BroadcastState;
import io.tidelog.state.proto.BroadcastTaskMeta;
import io.tidelog.state.proto.DroppedCollectionMeta;
import io.tidelog.tso.TimestampOracle;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collection catalog (DESIGN.md section 5): collections with their schemas, vchannels and partitions,
 * kept in the meta store, changed only by DDL that is broadcast to every vchannel of the collection.
 *
 * <pre>
 * meta store
 * coord/catalog/next-id                  the next id (collections, partitions, broadcast tasks share it)
 * coord/catalog/collection/&lt;name&gt;       CollectionInfo: id, schema, vchannels (shard i = vchannels[i]), partitions, state
 * coord/catalog/dropped/&lt;id&gt;           DroppedCollectionMeta: a dropped collection and when, until its files are
 *                                        removed ({@link DroppedCollectionCollector})
 * coord/broadcast/...                    the DDL being broadcast ({@link Broadcaster})
 *
 * a DDL on collection C:
 *   take resource keys {collection/C exclusive, cluster shared}     (FIFO: conflicting DDL waits its turn)
 *   check against the catalog, allocate ids
 *   one transaction: the catalog's intermediate state (CREATING, DROPPING, ...) + the task PENDING
 *   broadcast to every vchannel of C                                 (retried until each has it)
 *   one transaction: the task DONE + the catalog's final state       (CREATED, gone + dropped record, ...)
 *   release the keys; the call returns
 * </pre>
 *
 * <p>Because every DDL of a collection holds the collection's exclusive key from its check to its end, DDL
 * of one collection reaches every vchannel in the same order, and a DDL sees only settled states (a
 * collection being created or dropped is only ever seen by describe and list). On {@link #start} the
 * pending tasks of the last run take their keys again, in submission order, before any new DDL, and run
 * to the end: a DDL whose call failed with {@code ON_SHUTDOWN} or a lost connection still takes effect.
 *
 * <p><b>Ids.</b> Collections, partitions and tasks take ids from one persisted counter ({@link IdAllocator});
 * fields are numbered from {@value #FIRST_FIELD_ID} in schema order, and a field added later takes the
 * next number. A new collection has one partition, {@value #DEFAULT_PARTITION}.
 *
 * <p><b>Placement.</b> Shard {@code i} of collection {@code id} is the vchannel {@code <pchannel>_<id>v<i>},
 * on the pchannel with the fewest vchannels ({@link VchannelPlacement}).
 *
 * <p><b>Errors</b> (as failed futures or thrown by the reads): {@code INVALID_ARGUMENT} for a bad name,
 * schema (naming the field; {@link CatalogRules}), shard or replica count or field to add; {@code ALREADY_EXISTS}
 * for a duplicate collection,
 * partition or field; {@code NOT_FOUND} for an unknown collection or partition; {@code ON_SHUTDOWN} before
 * {@link #start} and after {@link #close} (a DDL persisted by then is completed by the next start).
 *
 * <p><b>Threads.</b> Every DDL and all broadcast state run on the catalog's one thread; methods may be
 * called from any thread. Reads ({@link #describe}, {@link #list}) read the meta store directly.
 */
public final class CollectionCatalog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectionCatalog.class);
    static final String COLLECTION_KEYS = "coord/catalog/collection/";
    public static final String DEFAULT_PARTITION = "_default";
    public static final long FIRST_FIELD_ID = 100;

    private final MetaStore meta;
    private final List<String> pchannels;
    private final CatalogConfig config;
    private final TimestampOracle tso;
    private final InstantSource clock;
    private final ScheduledThreadPoolExecutor thread;
    private final IdAllocator ids;
    private final ResourceKeyLocks locks = new ResourceKeyLocks();
    private final Broadcaster broadcaster;
    private final Set<CompletableFuture<BroadcastTaskMeta>> calls = ConcurrentHashMap.newKeySet();
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * A catalog over {@code meta}, serving nothing until {@link #start}.
     *
     * @param pchannels the cluster's pchannels, in order (where vchannels are placed)
     * @param tso       the cluster's timestamps (the time tick a ManualFlush seals up to)
     * @param clock     when broadcast tasks finish and collections are dropped
     */
    public CollectionCatalog(MetaStore meta, List<String> pchannels, CatalogConfig config, TimestampOracle tso,
                             InstantSource clock) {
        this.meta = meta;
        this.pchannels = List.copyOf(pchannels);
        this.config = config;
        this.tso = tso;
        this.clock = clock;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tidelog-catalog");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.ids = new IdAllocator(meta);
        this.broadcaster = new Broadcaster(meta, config, thread, clock, this::completionOf);
    }

    /**
     * Starts serving DDL, appending through {@code appender}, and resumes every DDL left pending by the last
     * run (before any new one). Returns once the pending tasks are resumed, not finished.
     */
    public void start(VchannelAppender appender) {
        CompletableFuture<Void> resumed = CompletableFuture.runAsync(() -> {
            broadcaster.bind(appender);
            for (BroadcastTaskMeta task : broadcaster.load()) {
                LOG.info("resuming broadcast task {}: {} of collection {} to {} vchannels", task.getTaskId(),
                        task.getMessage().getType(), task.getCollection(), task.getVchannelsCount());
                List<ResourceKey> keys = task.getResourceKeysList().stream().map(ResourceKey::fromProto).toList();
                locks.acquire(keys).thenAccept(held -> broadcaster.run(task).whenComplete((done, err) -> held.release()));
            }
            started = true;
        }, thread);
        try {
            resumed.get();
        } catch (ExecutionException e) {
            throw StreamingException.from(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while resuming the pending DDL");
        }
    }

    // ------------------------------------------------------------------ reads

    /**
     * The collection named {@code name}, in whatever state it is.
     *
     * @throws StreamingException {@code NOT_FOUND} if there is none
     */
    public CollectionInfo describe(String name) {
        return get(name).orElseThrow(() -> notFound(name));
    }

    /** Every collection, ordered by name. */
    public List<CollectionInfo> list() {
        List<CollectionInfo> out = new ArrayList<>();
        for (KeyValue kv : meta.scan(COLLECTION_KEYS)) {
            out.add(parse(kv));
        }
        return out;
    }

    /**
     * The collections whose shards each pchannel carries (read from the store): what the assigner needs to spread
     * the shards of one collection over nodes ({@link PchannelAssigner#spreadShards}).
     */
    public Map<String, Set<Long>> collectionsByPchannel() {
        Map<String, Set<Long>> out = new HashMap<>();
        for (CollectionInfo c : list()) {
            for (String v : c.getVchannelsList()) {
                out.computeIfAbsent(Vchannels.pchannelOf(v), p -> new TreeSet<>())
                        .add(c.getCollectionId());
            }
        }
        return out;
    }

    /** The collections that take queries (created, not being dropped), as replica placement needs them. */
    public List<ReplicaPlacement.Collection> replicaCollections() {
        List<ReplicaPlacement.Collection> out = new ArrayList<>();
        for (CollectionInfo c : list()) {
            if (c.getState() == CollectionState.COLLECTION_CREATED) {
                out.add(new ReplicaPlacement.Collection(c.getCollectionId(), c.getVchannelsList(), c.getReplicas()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ DDL

    /**
     * Creates a collection of {@code catalog.default.shards} shards and returns it, in state
     * {@code COLLECTION_CREATED}, once every vchannel has its CreateCollection.
     */
    public CompletableFuture<CollectionInfo> createCollection(String name, CollectionSchema schema) {
        return createCollection(name, schema, config.defaultShards());
    }

    /** The shards of a collection created without a count ({@code catalog.default.shards}). */
    public int defaultShards() {
        return config.defaultShards();
    }

    /**
     * Creates a collection of {@code shards} shards, 1 to {@code catalog.max.shards} ({@code INVALID_ARGUMENT}
     * otherwise, 0 included), and returns it, in state {@code COLLECTION_CREATED}, once every vchannel has its
     * CreateCollection.
     */
    public CompletableFuture<CollectionInfo> createCollection(String name, CollectionSchema schema, int shards) {
        return createCollection(name, schema, shards, 1);
    }

    /**
     * Creates a collection of {@code shards} shards (as {@link #createCollection(String, CollectionSchema, int)})
     * whose vchannels are each served by {@code replicas} delegators, 1 to {@code catalog.max.replicas}
     * ({@code INVALID_ARGUMENT} otherwise, 0 included): the owner's and {@code replicas - 1} on other nodes.
     */
    public CompletableFuture<CollectionInfo> createCollection(String name, CollectionSchema schema, int shards,
                                                              int replicas) {
        try {
            CatalogRules.validateName("collection", name);
            CatalogRules.validateSchema(schema);
            if (shards < 1 || shards > config.maxShards()) {
                throw StreamingException.invalidArgument("a collection has 1 to " + config.maxShards() + " shards ("
                        + CatalogConfig.MAX_SHARDS + "), got " + shards);
            }
            if (replicas < 1 || replicas > config.maxReplicas()) {
                throw StreamingException.invalidArgument("a collection has 1 to " + config.maxReplicas()
                        + " replicas (" + CatalogConfig.MAX_REPLICAS + "), got " + replicas);
            }
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return ddl(name, () -> prepareCreate(name, schema, shards, replicas)).thenApply(done -> describe(name));
    }

    private BroadcastTaskMeta prepareCreate(String name, CollectionSchema schema, int shards, int replicas) {
        Optional<CollectionInfo> existing = get(name);
        if (existing.isPresent()) {
            throw new StreamingException(ErrorCode.ALREADY_EXISTS, "collection '" + name + "' already exists (id "
                    + existing.get().getCollectionId() + ")");
        }
        long first = ids.allocate(3);
        long collectionId = first;
        long partitionId = first + 1;
        long taskId = first + 2;
        List<String> all = new ArrayList<>();
        list().forEach(c -> all.addAll(c.getVchannelsList()));
        List<String> vchannels = VchannelPlacement.place(pchannels, all, collectionId, shards);
        CollectionSchema.Builder numbered = schema.toBuilder().setVersion(1);
        for (int i = 0; i < numbered.getFieldsCount(); i++) {
            numbered.setFields(i, numbered.getFields(i).toBuilder().setFieldId(FIRST_FIELD_ID + i));
        }
        CollectionInfo info = CollectionInfo.newBuilder().setCollectionId(collectionId).setName(name)
                .setSchema(numbered).addAllVchannels(vchannels).setState(CollectionState.COLLECTION_CREATING)
                .setReplicas(replicas)
                .addPartitions(PartitionInfo.newBuilder().setPartitionId(partitionId).setName(DEFAULT_PARTITION)
                        .setState(PartitionState.PARTITION_CREATED))
                .build();
        CreateCollectionBody body = CreateCollectionBody.newBuilder().setName(name).setSchema(numbered)
                .addAllVchannels(vchannels)
                .addPartitions(Partition.newBuilder().setId(partitionId).setName(DEFAULT_PARTITION)).build();
        MessageEnvelope message = template(MessageType.CREATE_COLLECTION, MessageHeader.newBuilder()
                .setCreateCollection(CreateCollectionHeader.newBuilder().setCollectionId(collectionId)
                        .addPartitionIds(partitionId)).build(), body.toByteString());
        BroadcastTaskMeta task = task(taskId, name, message, vchannels);
        persist(name, List.of(Compare.absent(key(name))), info, task);
        LOG.info("creating collection {} (id {}) with {} shards and {} replicas: {}", name, collectionId, shards,
                replicas, vchannels);
        return task;
    }

    /** Drops a collection; returns it as it was, once every vchannel has its DropCollection. */
    public CompletableFuture<CollectionInfo> dropCollection(String name) {
        CollectionInfo[] dropped = new CollectionInfo[1];
        return ddl(name, () -> {
            CollectionInfo info = settled(name);
            dropped[0] = info;
            long taskId = ids.allocate(1);
            MessageEnvelope message = template(MessageType.DROP_COLLECTION, MessageHeader.newBuilder()
                    .setDropCollection(DropCollectionHeader.newBuilder().setCollectionId(info.getCollectionId())).build(),
                    ByteString.EMPTY);
            BroadcastTaskMeta task = task(taskId, name, message, info.getVchannelsList());
            persist(name, List.of(), info.toBuilder().setState(CollectionState.COLLECTION_DROPPING).build(), task);
            LOG.info("dropping collection {} (id {})", name, info.getCollectionId());
            return task;
        }).thenApply(done -> dropped[0]);
    }

    /** Creates partition {@code partition}; returns the collection once every vchannel has the CreatePartition. */
    public CompletableFuture<CollectionInfo> createPartition(String collection, String partition) {
        try {
            CatalogRules.validateName("partition", partition);
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return ddl(collection, () -> {
            CollectionInfo info = settled(collection);
            if (info.getPartitionsList().stream().anyMatch(p -> p.getName().equals(partition))) {
                throw new StreamingException(ErrorCode.ALREADY_EXISTS, "collection '" + collection + "' already has a"
                        + " partition '" + partition + "'");
            }
            if (info.getPartitionsCount() >= config.maxPartitions()) {
                throw StreamingException.invalidArgument("collection '" + collection + "' has "
                        + info.getPartitionsCount() + " partitions, the most allowed (" + CatalogConfig.MAX_PARTITIONS + ")");
            }
            long partitionId = ids.allocate(2);
            MessageEnvelope message = template(MessageType.CREATE_PARTITION, MessageHeader.newBuilder()
                    .setCreatePartition(CreatePartitionHeader.newBuilder().setCollectionId(info.getCollectionId())
                            .setPartitionId(partitionId)).build(),
                    CreatePartitionBody.newBuilder().setName(partition).build().toByteString());
            BroadcastTaskMeta task = task(partitionId + 1, collection, message, info.getVchannelsList());
            persist(collection, List.of(), info.toBuilder().addPartitions(PartitionInfo.newBuilder()
                    .setPartitionId(partitionId).setName(partition).setState(PartitionState.PARTITION_CREATING)).build(), task);
            return task;
        }).thenApply(done -> describe(collection));
    }

    /** Drops a partition (never {@value #DEFAULT_PARTITION}); returns the collection once every vchannel has it. */
    public CompletableFuture<CollectionInfo> dropPartition(String collection, String partition) {
        if (DEFAULT_PARTITION.equals(partition)) {
            return CompletableFuture.failedFuture(StreamingException.invalidArgument("the partition "
                    + DEFAULT_PARTITION + " is part of its collection and cannot be dropped"));
        }
        return ddl(collection, () -> {
            CollectionInfo info = settled(collection);
            int index = partitionIndex(info, partition);
            PartitionInfo p = info.getPartitions(index);
            MessageEnvelope message = template(MessageType.DROP_PARTITION, MessageHeader.newBuilder()
                    .setDropPartition(DropPartitionHeader.newBuilder().setCollectionId(info.getCollectionId())
                            .setPartitionId(p.getPartitionId())).build(), ByteString.EMPTY);
            BroadcastTaskMeta task = task(ids.allocate(1), collection, message, info.getVchannelsList());
            persist(collection, List.of(), info.toBuilder().setPartitions(index,
                    p.toBuilder().setState(PartitionState.PARTITION_DROPPING)).build(), task);
            return task;
        }).thenApply(done -> describe(collection));
    }

    /**
     * Adds a nullable field to the schema (its version goes up by one, the field takes the next field id);
     * returns the collection once every vchannel has the AlterCollection.
     */
    public CompletableFuture<CollectionInfo> addField(String collection, FieldSchema field) {
        try {
            CatalogRules.validateAddedField(field);
        } catch (StreamingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return ddl(collection, () -> {
            CollectionInfo info = settled(collection);
            CollectionSchema schema = info.getSchema();
            if (schema.getFieldsList().stream().anyMatch(f -> f.getName().equals(field.getName()))) {
                throw new StreamingException(ErrorCode.ALREADY_EXISTS, "collection '" + collection + "' already has a"
                        + " field '" + field.getName() + "'");
            }
            long nextFieldId = schema.getFieldsList().stream().mapToLong(FieldSchema::getFieldId).max()
                    .orElse(FIRST_FIELD_ID - 1) + 1;
            CollectionSchema altered = schema.toBuilder().setVersion(schema.getVersion() + 1)
                    .addFields(field.toBuilder().setFieldId(nextFieldId)).build();
            CollectionSchemas.validateChange(schema, altered);
            MessageEnvelope message = template(MessageType.ALTER_COLLECTION, MessageHeader.newBuilder()
                    .setAlterCollection(AlterCollectionHeader.newBuilder().setCollectionId(info.getCollectionId())
                            .setSchemaVersion(altered.getVersion())).build(),
                    AlterCollectionBody.newBuilder().setSchema(altered).build().toByteString());
            BroadcastTaskMeta task = task(ids.allocate(1), collection, message, info.getVchannelsList());
            persist(collection, List.of(), info, task);
            return task;
        }).thenApply(done -> describe(collection));
    }

    /**
     * Seals every growing segment of the collection up to a fresh time tick, on every vchannel; returns the
     * sealed segments once every vchannel has the ManualFlush.
     */
    public CompletableFuture<FlushResult> flush(String collection) {
        return ddl(collection, () -> {
            CollectionInfo info = settled(collection);
            long flushTimeTick = tso.allocate(1);
            MessageEnvelope message = template(MessageType.MANUAL_FLUSH, MessageHeader.newBuilder()
                    .setManualFlush(ManualFlushHeader.newBuilder().setCollectionId(info.getCollectionId())
                            .setFlushTimeTick(flushTimeTick)).build(), ByteString.EMPTY)
                    .toBuilder().setBarrierTimeTick(flushTimeTick).build();
            BroadcastTaskMeta task = task(ids.allocate(1), collection, message, info.getVchannelsList());
            persist(collection, List.of(), info, task);
            return task;
        }).thenApply(done -> {
            TreeSet<Long> segments = new TreeSet<>();
            done.getAcksList().forEach(a -> segments.addAll(a.getFlushedSegmentIdsList()));
            ManualFlushHeader h = done.getMessage().getHeader().getManualFlush();
            return new FlushResult(h.getCollectionId(), h.getFlushTimeTick(), new ArrayList<>(segments));
        });
    }

    // ------------------------------------------------------------------ machinery

    /**
     * Runs a DDL of {@code collection} on the catalog thread: takes its resource keys, lets {@code prepare}
     * check the catalog and persist the task (or throw: nothing persisted), broadcasts the task, and
     * releases the keys when the broadcast ends.
     */
    private CompletableFuture<BroadcastTaskMeta> ddl(String collection, Supplier<BroadcastTaskMeta> prepare) {
        CompletableFuture<BroadcastTaskMeta> result = new CompletableFuture<>();
        calls.add(result);
        result.whenComplete((r, e) -> calls.remove(result));
        Runnable submit = () -> {
            if (!started || closed) {
                result.completeExceptionally(StreamingException.onShutdown(closed ? "the catalog is closed"
                        : "the catalog is starting"));
                return;
            }
            List<ResourceKey> keys = List.of(ResourceKey.collection(collection), ResourceKey.clusterShared());
            locks.acquire(keys).thenAccept(held -> {
                BroadcastTaskMeta task;
                try {
                    task = prepare.get();
                } catch (RuntimeException e) {
                    held.release();
                    result.completeExceptionally(StreamingException.from(e));
                    return;
                }
                broadcaster.run(task).whenComplete((done, err) -> {
                    held.release();
                    if (err != null) {
                        result.completeExceptionally(err);
                    } else {
                        result.complete(done);
                    }
                });
            });
        };
        try {
            thread.execute(submit);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(StreamingException.onShutdown("the catalog is closed"));
        }
        return result;
    }

    private BroadcastTaskMeta task(long taskId, String collection, MessageEnvelope message, List<String> vchannels) {
        return BroadcastTaskMeta.newBuilder().setTaskId(taskId).setCollection(collection).setMessage(message)
                .addAllVchannels(vchannels).setState(BroadcastState.BROADCAST_PENDING)
                .addResourceKeys(ResourceKey.collection(collection).toProto())
                .addResourceKeys(ResourceKey.clusterShared().toProto()).build();
    }

    private static MessageEnvelope template(MessageType type, MessageHeader header, ByteString body) {
        return MessageEnvelope.newBuilder().setType(type).setHeader(header).setPayload(body).build();
    }

    /** One transaction: the collection's new state and the pending task, if {@code compares} hold. */
    private void persist(String name, List<Compare> compares, CollectionInfo info, BroadcastTaskMeta task) {
        boolean ok = meta.txn(compares, List.of(Op.put(key(name), info.toByteArray()),
                Op.put(Broadcaster.taskKey(task.getTaskId()), task.toByteArray())), List.of()).succeeded();
        if (!ok) {
            throw new StreamingException(ErrorCode.ALREADY_EXISTS, "collection '" + name + "' already exists");
        }
    }

    /**
     * The catalog's change that a finished task makes true, applied in the transaction that marks it DONE.
     * A collection whose id no longer matches the task's (it cannot happen under the collection's key) is
     * left alone.
     */
    private List<Op> completionOf(BroadcastTaskMeta task) {
        String name = task.getCollection();
        Optional<CollectionInfo> current = get(name);
        MessageEnvelope m = task.getMessage();
        long collectionId = collectionIdOf(m);
        if (current.isEmpty() || current.get().getCollectionId() != collectionId) {
            if (m.getType() != MessageType.MANUAL_FLUSH) {
                LOG.warn("broadcast task {} ({}) finished, but collection {} with id {} is gone", task.getTaskId(),
                        m.getType(), name, collectionId);
            }
            return List.of();
        }
        CollectionInfo.Builder info = current.get().toBuilder();
        switch (m.getType()) {
            case CREATE_COLLECTION:
                info.setState(CollectionState.COLLECTION_CREATED);
                break;
            case DROP_COLLECTION:
                return List.of(Op.delete(key(name)), Op.put(DroppedCollectionCollector.droppedKey(collectionId),
                        DroppedCollectionMeta.newBuilder().setCollectionId(collectionId).setName(name)
                                .addAllVchannels(current.get().getVchannelsList()).setDroppedMillis(clock.millis())
                                .build().toByteArray()));
            case CREATE_PARTITION:
                setPartitionState(info, m.getHeader().getCreatePartition().getPartitionId(), PartitionState.PARTITION_CREATED);
                break;
            case DROP_PARTITION:
                long dropped = m.getHeader().getDropPartition().getPartitionId();
                List<PartitionInfo> kept = info.getPartitionsList().stream()
                        .filter(p -> p.getPartitionId() != dropped).toList();
                info.clearPartitions().addAllPartitions(kept);
                break;
            case ALTER_COLLECTION:
                try {
                    info.setSchema(AlterCollectionBody.parseFrom(m.getPayload()).getSchema());
                } catch (InvalidProtocolBufferException e) {
                    throw new StreamingException(ErrorCode.DATA_CORRUPTED, "broadcast task " + task.getTaskId()
                            + " holds a malformed AlterCollection body", e);
                }
                break;
            default:
                return List.of();
        }
        return List.of(Op.put(key(name), info.build().toByteArray()));
    }

    private static void setPartitionState(CollectionInfo.Builder info, long partitionId, PartitionState state) {
        for (int i = 0; i < info.getPartitionsCount(); i++) {
            if (info.getPartitions(i).getPartitionId() == partitionId) {
                info.setPartitions(i, info.getPartitions(i).toBuilder().setState(state));
            }
        }
    }

    private static long collectionIdOf(MessageEnvelope m) {
        MessageHeader h = m.getHeader();
        switch (m.getType()) {
            case CREATE_COLLECTION:
                return h.getCreateCollection().getCollectionId();
            case DROP_COLLECTION:
                return h.getDropCollection().getCollectionId();
            case CREATE_PARTITION:
                return h.getCreatePartition().getCollectionId();
            case DROP_PARTITION:
                return h.getDropPartition().getCollectionId();
            case ALTER_COLLECTION:
                return h.getAlterCollection().getCollectionId();
            case MANUAL_FLUSH:
                return h.getManualFlush().getCollectionId();
            default:
                return -1;
        }
    }

    /** The collection, which must exist and be settled (created, not being dropped). */
    private CollectionInfo settled(String name) {
        CollectionInfo info = describe(name);
        if (info.getState() != CollectionState.COLLECTION_CREATED) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "collection '" + name + "' is " + info.getState());
        }
        return info;
    }

    private static int partitionIndex(CollectionInfo info, String partition) {
        for (int i = 0; i < info.getPartitionsCount(); i++) {
            if (info.getPartitions(i).getName().equals(partition)) {
                return i;
            }
        }
        throw new StreamingException(ErrorCode.NOT_FOUND, "collection '" + info.getName() + "' has no partition '"
                + partition + "'");
    }

    private Optional<CollectionInfo> get(String name) {
        return meta.get(key(name)).map(CollectionCatalog::parse);
    }

    static String key(String name) {
        return COLLECTION_KEYS + name;
    }

    private static StreamingException notFound(String name) {
        return new StreamingException(ErrorCode.NOT_FOUND, "collection '" + name + "' does not exist");
    }

    private static CollectionInfo parse(KeyValue kv) {
        try {
            CollectionInfo info = CollectionInfo.parseFrom(kv.value());
            return info.getReplicas() >= 1 ? info : info.toBuilder().setReplicas(1).build();
        } catch (InvalidProtocolBufferException e) {
            throw new StreamingException(ErrorCode.DATA_CORRUPTED, "meta key " + kv.key() + " does not hold a collection", e);
        }
    }

    /**
     * Stops serving: DDL waiting or being broadcast fails with {@code ON_SHUTDOWN} (what was persisted
     * resumes on the next start); waits briefly for the catalog thread. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            thread.execute(broadcaster::close);
        } catch (RejectedExecutionException e) {
            // already stopping
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (CompletableFuture<BroadcastTaskMeta> call : List.copyOf(calls)) {
            call.completeExceptionally(StreamingException.onShutdown("the coordinator is stopping; a DDL that was"
                    + " already persisted reaches every vchannel when it runs again (describe to find out)"));
        }
    }
}
