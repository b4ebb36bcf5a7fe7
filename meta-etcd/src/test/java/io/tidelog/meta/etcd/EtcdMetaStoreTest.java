package io.tidelog.meta.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.Compare;
import io.tidelog.meta.KeyValue;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import io.tidelog.meta.Range;
import io.tidelog.meta.WatchEvent;
import io.tidelog.meta.testing.RecordingListener;
import io.tidelog.testing.Seeds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the etcd store does beyond the shared contract: roots that share one etcd, large values, endpoints. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdMetaStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The chunk size of the node's recovery snapshots (MetaRecoveryStore). */
    private static final int SNAPSHOT_CHUNK = 512 * 1024;

    @RegisterExtension
    static final EtcdServer ETCD = new EtcdServer();

    @RegisterExtension
    final Seeds seeds = new Seeds();

    private final List<MetaStore> stores = new ArrayList<>();

    @AfterEach
    void closeStores() {
        stores.forEach(MetaStore::close);
    }

    private MetaStore open(String root, Map<String, String> extra) {
        Map<String, String> properties = new HashMap<>(ETCD.storeProperties(root));
        properties.putAll(extra);
        MetaStore s = new EtcdMetaStore(EtcdMetaStoreConfig.from(properties));
        stores.add(s);
        return s;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> keys(List<KeyValue> kvs) {
        return kvs.stream().map(KeyValue::key).toList();
    }

    @Test
    void twoRootsOnOneEtcdSeeOnlyTheirOwnKeysAndShareItsRevisions() {
        MetaStore a = open("roots/cluster-a/", Map.of());
        MetaStore b = open("roots/cluster-b/", Map.of());
        RecordingListener watchingA = new RecordingListener();
        a.watch("", watchingA);
        long lease = b.grantLease(Duration.ofSeconds(30));

        long ra = a.put("coord/pchannel/p-1", bytes("a1"));
        long rb = b.put("coord/pchannel/p-1", bytes("b1"), lease);
        b.put("coord/pchannel/p-2", bytes("b2"));
        assertThat(rb).as("one etcd, one sequence of revisions").isGreaterThan(ra);
        assertThat(a.currentRevision()).isEqualTo(b.currentRevision());

        assertThat(a.get("coord/pchannel/p-1").orElseThrow().valueUtf8()).isEqualTo("a1");
        assertThat(keys(a.scan(""))).containsExactly("coord/pchannel/p-1");
        assertThat(keys(b.scan("coord/"))).containsExactly("coord/pchannel/p-1", "coord/pchannel/p-2");
        assertThat(a.putIfAbsent("coord/pchannel/p-2", bytes("a2"))).as("b's key is no key of a").isTrue();
        assertThat(a.txn(List.of(Compare.lease("coord/pchannel/p-1", Compare.Result.EQUAL, MetaStore.NO_LEASE)),
                List.of(Op.delete("coord/pchannel/p-1")), List.of()).succeeded()).isTrue();
        assertThat(b.get("coord/pchannel/p-1")).isPresent();

        assertThat(b.deletePrefix("coord/")).isEqualTo(2);
        assertThat(keys(a.scan(""))).containsExactly("coord/pchannel/p-2");
        assertThat(b.revokeLease(lease)).isTrue();
        assertThat(watchingA.awaitEvents(3, WAIT)).extracting(WatchEvent::key)
                .containsExactly("coord/pchannel/p-1", "coord/pchannel/p-2", "coord/pchannel/p-1");
        a.put("last", bytes("x"));
        assertThat(watchingA.awaitEvents(4, WAIT)).as("nothing of b in between").extracting(WatchEvent::key)
                .endsWith("last").hasSize(4);
    }

    @Test
    void aValueAboveTheConfiguredLimitIsRefusedBeforeAnythingIsSent() {
        MetaStore s = open("limit/", Map.of(EtcdMetaStoreConfig.MAX_VALUE_BYTES, "64KiB"));
        long before = s.currentRevision();
        for (Runnable call : List.<Runnable>of(
                () -> s.put("big", new byte[64 * 1024 + 1]),
                () -> s.txn(List.of(), List.of(Op.put("small", new byte[1]), Op.put("big", new byte[64 * 1024 + 1])),
                        List.of()),
                () -> s.put("huge", new byte[2 * 1024 * 1024]))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(StreamingException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.isNothingWritten()).isTrue();
                assertThat(e.getMessage()).containsAnyOf(EtcdMetaStoreConfig.MAX_VALUE_BYTES, "at most");
            });
        }
        assertThat(s.currentRevision()).as("nothing was written").isEqualTo(before);
        assertThat(s.scan("")).isEmpty();
        s.put("fits", new byte[64 * 1024]);
        assertThat(s.get("fits").orElseThrow().valueLength()).isEqualTo(64 * 1024);
    }

    /**
     * A recovery snapshot of 6 MiB as the node writes it: chunks of 512 KiB, each in its own transaction, then the
     * pointer. Every request stays below etcd's 1.5 MiB; reading the chunks back in one range, and watching them
     * from history, gets more than gRPC's default 4 MiB in one answer.
     */
    @Test
    void snapshotChunksOfTheNodesSizeRoundTripThroughRangesAndWatches() {
        MetaStore s = open("snapshots/", Map.of());
        int chunks = 12;
        List<byte[]> written = new ArrayList<>();
        long first = 0;
        for (int i = 0; i < chunks; i++) {
            byte[] chunk = new byte[SNAPSHOT_CHUNK];
            seeds.random().nextBytes(chunk);
            written.add(chunk);
            long r = s.txn(List.of(Compare.absent("recovery/p-0/pointer")),
                    List.of(Op.put(String.format("recovery/p-0/snapshot/1/%06d", i), chunk)), List.of()).revision();
            first = first == 0 ? r : first;
        }
        s.put("recovery/p-0/pointer", bytes("sequence 1, " + chunks + " chunks"));
        byte[] largest = new byte[MetaStore.MAX_REQUEST_BYTES - 64];
        s.put("largest", largest);

        Range range = s.range("recovery/p-0/snapshot/", 0);
        assertThat(range.keyValues()).hasSize(chunks);
        for (int i = 0; i < chunks; i++) {
            assertThat(range.keyValues().get(i).value()).isEqualTo(written.get(i));
        }
        assertThat(s.get("largest").orElseThrow().valueLength()).isEqualTo(largest.length);

        RecordingListener history = new RecordingListener();
        s.watch("recovery/p-0/", first, history);
        List<WatchEvent> events = history.awaitEvents(chunks + 1, WAIT);
        for (int i = 0; i < chunks; i++) {
            assertThat(events.get(i).keyValue().value()).isEqualTo(written.get(i));
        }
        assertThat(events.get(chunks).key()).isEqualTo("recovery/p-0/pointer");
        assertThat(history.error()).isNull();
    }

    @Test
    void anEndpointThatIsDownIsPassedOverForOneThatServes() {
        MetaStore s = open("endpoints/", Map.of(EtcdMetaStoreConfig.ENDPOINTS, "127.0.0.1:1," + ETCD.endpoint()));
        long r = s.put("k", bytes("v"));
        assertThat(s.get("k").orElseThrow().modRevision()).isEqualTo(r);
    }
}
