package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.StatusRuntimeException;
import io.tidelog.client.ClusterStatus;
import io.tidelog.client.CollectionDescription;
import io.tidelog.client.Collections;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.coord.CatalogConfig;
import io.tidelog.coord.CollectionCatalog;
import io.tidelog.coord.LeaderGuardedMetaStore;
import io.tidelog.coord.VchannelAppender;
import io.tidelog.message.GrpcErrors;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MutableMessage;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.etcd.EtcdServer;
import io.tidelog.proto.CollectionInfo;
import io.tidelog.proto.CollectionServiceGrpc;
import io.tidelog.proto.CollectionState;
import io.tidelog.proto.DescribeCollectionRequest;
import io.tidelog.proto.MessageType;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import io.tidelog.testing.Await;
import io.tidelog.tso.TimestampOracle;
import io.tidelog.tso.TimestampStore;
import io.tidelog.tso.TsoConfig;
import io.tidelog.wal.memory.MemoryStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collection catalog of a cluster on a real etcd: the leading coordinator serves it and broadcasts DDL to whole
 * streaming nodes in this JVM ({@link InProcessStreamingNode}: WALs on one shared memory storage, flushed segments in
 * one object store directory that the coordinators are given too); a standby names the leader; a new leader
 * finishes what its predecessor left, and a deposed one writes nothing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CoordCatalogTest extends EtcdClusterTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String COLLECTION_KEYS = "coord/catalog/";
    static final String BROADCAST_KEYS = "coord/broadcast/";

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @TempDir
    Path dir;
    final List<String> coordinatorAddresses = new CopyOnWriteArrayList<>();
    final MemoryStorage storage = new MemoryStorage();

    @Override
    EtcdServer etcd() {
        return ETCD;
    }

    CoordServer coordinator(Map<String, String> extra) {
        Map<String, String> p = coordinatorProperties(4);
        p.put("catalog.broadcast.backoff.max", "200ms");
        p.put("objectstore.uri", "file:" + dir.resolve("objects").toAbsolutePath());
        p.putAll(extra);
        CoordServer c = startCoordinator(p);
        coordinatorAddresses.add(c.address());
        return c;
    }

    CoordServer coordinator() {
        return coordinator(Map.of());
    }

    /** A node whose time ticks come from whichever of the coordinators started so far leads. */
    InProcessStreamingNode node(String id) throws Exception {
        InProcessStreamingNode n = new InProcessStreamingNode(id, meta, storage, dir.resolve("objects"),
                Files.createDirectories(dir.resolve("node-" + id)), List.copyOf(coordinatorAddresses));
        toClose.add(n);
        return n;
    }

    static void awaitAllAssigned(StreamingClient client) {
        Await.until("every pchannel ASSIGNED and available", () -> {
            ClusterStatus s = client.statusBlocking();
            return s.pchannels().size() == 4
                    && s.pchannels().stream().allMatch(p -> p.state().equals("ASSIGNED") && p.available());
        }, WAIT);
    }

    static CoordServer awaitLeader(CoordServer... candidates) {
        CoordServer[] leader = new CoordServer[1];
        Await.until("one coordinator leads", () -> {
            int leading = 0;
            for (CoordServer c : candidates) {
                if (c.isLeader()) {
                    leader[0] = c;
                    leading++;
                }
            }
            return leading == 1;
        }, WAIT);
        return leader[0];
    }

    Optional<CollectionInfo> stored(String name) {
        return meta.get(COLLECTION_KEYS + "collection/" + name).map(kv -> {
            try {
                return CollectionInfo.parseFrom(kv.value());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** Every catalog and broadcast key with its mod revision: what a write would change. */
    Map<String, Long> catalogKeys() {
        Map<String, Long> out = new TreeMap<>();
        for (String prefix : List.of(COLLECTION_KEYS, BROADCAST_KEYS)) {
            for (KeyValue kv : meta.scan(prefix)) {
                out.put(kv.key(), kv.modRevision());
            }
        }
        return out;
    }

    static List<MessageType> types(StreamingClient client, String vchannel) {
        return VchannelHistory.of(client, vchannel).stream().map(ImmutableMessage::type).toList();
    }

    static ErrorCode code(Throwable t) {
        return StreamingException.from(t instanceof ExecutionException ? t.getCause() : t).code();
    }

    static long rows(List<SegmentInfo> segments, SegmentState state) {
        return segments.stream().filter(s -> s.getState() == state).mapToLong(SegmentInfo::getRows).sum();
    }

    @Test
    void aCollectionCreatedThroughAStandbyFirstClientIsServedByTheNextLeaderAfterAHandOverWithItsFlushedRows()
            throws Exception {
        CoordServer first = coordinator();
        CoordServer second = coordinator();
        node("a");
        node("b");
        CoordServer leader = awaitLeader(first, second);
        CoordServer standby = leader == first ? second : first;
        StreamingClient client = client(standby, leader);
        Collections collections = client.collections();
        awaitAllAssigned(client);

        CollectionDescription books = collections.createBlocking("books", CollectionServiceTest.BOOKS, 2);
        assertThat(books.state()).isEqualTo(CollectionState.COLLECTION_CREATED);
        assertThat(books.vchannels()).hasSize(2);
        assertThatThrownBy(() -> CollectionServiceGrpc.newBlockingStub(channel(standby.address()))
                .describeCollection(DescribeCollectionRequest.newBuilder().setName("books").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(GrpcErrors.fromThrowable(e, "standby").code()).isEqualTo(ErrorCode.NOT_LEADER);
                    assertThat(GrpcErrors.leaderHint(e)).contains(leader.address());
                });
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 40; id++) {
            rows.add(CollectionServiceTest.book(id));
        }
        client.insert("books", rows).get(30, TimeUnit.SECONDS);
        assertThat(collections.flushBlocking("books").segmentIds()).isNotEmpty();
        Await.until("the leader lists the 40 rows in flushed segments, from their manifests",
                () -> rows(collections.segmentsBlocking("books"), SegmentState.SEGMENT_FLUSHED) == 40, WAIT);

        leader.close(); // resigns: the standby takes over
        Await.until("the standby leads", standby::isLeader, WAIT);
        assertThat(collections.describeBlocking("books")).isEqualTo(books);
        assertThat(collections.listBlocking()).containsExactly(books);
        List<SegmentInfo> segments = collections.segmentsBlocking("books");
        assertThat(rows(segments, SegmentState.SEGMENT_FLUSHED)).isEqualTo(40);
        assertThat(segments).as("a coordinator knows no growing segment")
                .noneMatch(s -> s.getState() == SegmentState.SEGMENT_GROWING);

        assertThat(collections.dropBlocking("books").id()).isEqualTo(books.id());
        assertThat(collections.listBlocking()).isEmpty();
        assertThatThrownBy(() -> collections.describeBlocking("books"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_FOUND));
        for (String v : books.vchannels()) {
            assertThat(types(client, v)).as(v).startsWith(MessageType.CREATE_COLLECTION)
                    .endsWith(MessageType.DROP_COLLECTION)
                    .containsOnlyOnce(MessageType.CREATE_COLLECTION, MessageType.MANUAL_FLUSH, MessageType.DROP_COLLECTION);
        }
    }

    /**
     * The first leader appends the CreateCollection to one vchannel and stops before it persists the
     * acknowledgement ({@code catalog.broadcast.pause.after.appends}); the next leader resumes the task: the
     * vchannel that had it answers from its dedup window, the other one gets it, each exactly once.
     */
    @Test
    void aDdlThatItsLeaderAppendedToOneVchannelButDidNotFinishIsFinishedByTheNextLeaderOnceOnEveryVchannel()
            throws Exception {
        CoordServer first = coordinator(Map.of(CatalogConfig.PAUSE_AFTER_APPENDS, "1"));
        Await.until("the first leads", first::isLeader, WAIT);
        CoordServer second = coordinator();
        node("a");
        node("b");
        StreamingClient client = client(first, second);
        awaitAllAssigned(client);

        CompletableFuture<CollectionDescription> create = client.collections().create("books",
                CollectionServiceTest.BOOKS, 2);
        Await.until("the collection is persisted CREATING", () -> stored("books").isPresent(), WAIT);
        CollectionInfo creating = stored("books").orElseThrow();
        assertThat(creating.getState()).isEqualTo(CollectionState.COLLECTION_CREATING);
        Await.until("one vchannel has the CreateCollection", () -> creating.getVchannelsList().stream()
                .filter(v -> types(client, v).equals(List.of(MessageType.CREATE_COLLECTION))).count() == 1, WAIT);
        assertThat(create).isNotDone();

        first.close(); // the call waiting for the broadcast ends ON_SHUTDOWN; the client sends it to the next leader
        Await.until("the second leads", second::isLeader, WAIT);
        assertThatThrownBy(() -> create.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("sent again, the create finds what the first one did")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.ALREADY_EXISTS));
        CollectionDescription books = client.collections().describeBlocking("books");
        assertThat(books.state()).isEqualTo(CollectionState.COLLECTION_CREATED);
        assertThat(books.id()).isEqualTo(creating.getCollectionId());
        for (String v : books.vchannels()) {
            assertThat(types(client, v)).as(v).containsExactly(MessageType.CREATE_COLLECTION);
        }
    }

    @Test
    void aDdlPersistedWhileNoNodeServedIsFinishedByTheNextLeaderOnceNodesJoin() throws Exception {
        CoordServer first = coordinator();
        Await.until("the first leads", first::isLeader, WAIT);
        CoordServer second = coordinator();
        StreamingClient client = client(first, second);
        CompletableFuture<CollectionDescription> create = client.collections().create("books",
                CollectionServiceTest.BOOKS, 2);
        Await.until("the collection is persisted CREATING", () -> stored("books").isPresent(), WAIT);
        assertThat(stored("books").orElseThrow().getState()).isEqualTo(CollectionState.COLLECTION_CREATING);

        first.close();
        Await.until("the second leads", second::isLeader, WAIT);
        node("a");
        node("b");
        Await.until("the next leader finishes the create", () -> stored("books")
                .filter(c -> c.getState() == CollectionState.COLLECTION_CREATED).isPresent(), WAIT);
        assertThatThrownBy(() -> create.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.ALREADY_EXISTS));
        for (String v : client.collections().describeBlocking("books").vchannels()) {
            assertThat(types(client, v)).as(v).containsExactly(MessageType.CREATE_COLLECTION);
        }
    }

    /**
     * A catalog as a leader's term runs it, on the meta store guarded by that leader's epoch, after another leader
     * took over (a deposed leader that has not noticed yet): reads still answer, every DDL fails with
     * {@code NOT_LEADER} before anything is appended, and no catalog or broadcast key changes.
     */
    @Test
    void aDeposedLeadersCatalogWritesNothingAndFailsItsDdlWithNotLeader() throws Exception {
        CoordServer first = coordinator();
        Await.until("the first leads", first::isLeader, WAIT);
        long firstEpoch = meta.get(CoordServer.ELECTION_KEY).orElseThrow().createRevision();
        CoordServer second = coordinator();
        node("a");
        node("b");
        StreamingClient client = client(first, second);
        awaitAllAssigned(client);
        CollectionDescription books = client.collections().createBlocking("books", CollectionServiceTest.BOOKS, 2);
        first.close();
        Await.until("the second leads", second::isLeader, WAIT);

        Map<String, Long> before = catalogKeys();
        List<MutableMessage> appended = new CopyOnWriteArrayList<>();
        try (CollectionCatalog stale = new CollectionCatalog(
                new LeaderGuardedMetaStore(meta, CoordServer.ELECTION_KEY, firstEpoch),
                List.of("pchannel-0", "pchannel-1", "pchannel-2", "pchannel-3"), CatalogConfig.defaults(),
                new TimestampOracle(new FixedMarkStore(), InstantSource.system(), TsoConfig.from(Map.of())),
                InstantSource.system())) {
            stale.start(m -> {
                appended.add(m);
                return CompletableFuture.<VchannelAppender.Ack>failedFuture(
                        StreamingException.onShutdown("no appends in this test"));
            });
            assertThat(stale.describe("books").getCollectionId()).isEqualTo(books.id());
            for (CompletableFuture<?> ddl : List.of(stale.createCollection("films", CollectionServiceTest.BOOKS, 1),
                    stale.dropCollection("books"), stale.createPartition("books", "p1"), stale.flush("books"))) {
                assertThatThrownBy(() -> ddl.get(30, TimeUnit.SECONDS))
                        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_LEADER));
            }
        }
        assertThat(appended).isEmpty();
        assertThat(catalogKeys()).isEqualTo(before);
        assertThat(client.collections().listBlocking()).containsExactly(books);
    }

    /** A timestamp store with nothing saved, that saves nowhere: the stale catalog's flush never gets that far. */
    private static final class FixedMarkStore implements TimestampStore {
        @Override
        public long load() {
            return 0;
        }

        @Override
        public void save(long highWaterMillis) {
        }
    }
}
