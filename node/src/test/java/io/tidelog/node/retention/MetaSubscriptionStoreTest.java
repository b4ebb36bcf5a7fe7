package io.tidelog.node.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import io.tidelog.node.recovery.Checkpoint;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Durable subscriptions in the embedded meta store: per pchannel, created once, committed, never resurrected. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetaSubscriptionStoreTest {
    static final Instant T0 = Instant.ofEpochMilli(1_800_000_000_000L);

    @TempDir
    Path dir;
    MetaStore meta;
    MetaSubscriptionStore store;

    @BeforeEach
    void open() {
        meta = MetaStores.create("embedded", Map.of("meta.embedded.dir", dir.toString()));
        store = new MetaSubscriptionStore(meta);
    }

    @AfterEach
    void close() {
        meta.close();
    }

    static Subscription sub(String vchannel, String name, long minor) {
        return new Subscription(vchannel, name, new Checkpoint(MessageId.of(1, minor), minor * 10), T0, T0);
    }

    @Test
    void subscriptionsAreListedPerPchannelInOrderAndSurviveAReopen() {
        store.createIfAbsent(sub("p-1_b", "x", 1));
        store.createIfAbsent(sub("p-1_a", "y", 2));
        store.createIfAbsent(sub("p-1_a", "x", 3));
        store.createIfAbsent(sub("p-10_a", "x", 4));
        store.createIfAbsent(sub("p-2_a", "x", 5));

        assertThat(store.list("p-1")).extracting(s -> s.vchannel() + "/" + s.name())
                .containsExactly("p-1_a/x", "p-1_a/y", "p-1_b/x");
        meta.close();
        open();
        assertThat(store.get("p-1_a", "y")).contains(sub("p-1_a", "y", 2));
        assertThat(store.list("p-10")).containsExactly(sub("p-10_a", "x", 4));
    }

    @Test
    void theFirstCreationWinsAndACommitMovesOnlyThePosition() {
        assertThat(store.createIfAbsent(sub("p-1_a", "x", 1))).isEqualTo(sub("p-1_a", "x", 1));
        assertThat(store.createIfAbsent(sub("p-1_a", "x", 9))).isEqualTo(sub("p-1_a", "x", 1));

        Checkpoint next = new Checkpoint(MessageId.of(2, 5), 77);
        Subscription committed = store.commit("p-1_a", "x", next, T0.plusSeconds(5), 0);

        assertThat(committed.position()).isEqualTo(next);
        assertThat(committed.createdAt()).isEqualTo(T0);
        assertThat(committed.committedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.get("p-1_a", "x")).contains(committed);
    }

    @Test
    void aConsumerThatAnotherClaimedTheSubscriptionFromCannotMoveItsPosition() {
        store.createIfAbsent(sub("p-1_a", "x", 1));
        Subscription first = store.claim("p-1_a", "x");
        Checkpoint byFirst = new Checkpoint(MessageId.of(1, 5), 50);
        store.commit("p-1_a", "x", byFirst, T0, first.generation());

        Subscription second = store.claim("p-1_a", "x");
        assertThat(second.generation()).isEqualTo(first.generation() + 1);
        assertThat(second.position()).isEqualTo(byFirst);
        assertThatThrownBy(() -> store.commit("p-1_a", "x", new Checkpoint(MessageId.of(1, 3), 30), T0,
                first.generation()))
                .isInstanceOfSatisfying(StreamingException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.SUBSCRIPTION_TAKEN_OVER));
        Checkpoint bySecond = new Checkpoint(MessageId.of(1, 9), 90);
        assertThat(store.commit("p-1_a", "x", bySecond, T0, second.generation()).position()).isEqualTo(bySecond);
        Checkpoint byAdmin = new Checkpoint(MessageId.of(1, 7), 70);
        assertThat(store.commit("p-1_a", "x", byAdmin, T0, 0).position()).as("administrative").isEqualTo(byAdmin);

        meta.close();
        open();
        assertThat(store.get("p-1_a", "x").orElseThrow().generation()).as("durable").isEqualTo(second.generation());
    }

    @Test
    void aCommitOfADeletedSubscriptionFailsWithNotFoundAndDoesNotBringItBack() {
        store.createIfAbsent(sub("p-1_a", "x", 1));
        assertThat(store.delete("p-1_a", "x")).isTrue();
        assertThat(store.delete("p-1_a", "x")).isFalse();

        assertThatThrownBy(() -> store.commit("p-1_a", "x", new Checkpoint(MessageId.of(1, 2), 3), T0, 0))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(store.get("p-1_a", "x")).isEmpty();
    }

    @Test
    void racingCommitsNeverRecreateASubscriptionDeletedBetweenThem() throws Exception {
        for (int round = 0; round < 20; round++) {
            store.createIfAbsent(sub("p-1_a", "race", 0));
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                long minor = i;
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        store.commit("p-1_a", "race", new Checkpoint(MessageId.of(1, minor), minor), T0, 0);
                    } catch (StreamingException e) {
                        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                    }
                }));
            }
            all.add(CompletableFuture.runAsync(() -> store.delete("p-1_a", "race")));
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // a commit before the delete was deleted with it; one after it failed: none recreated the key
            assertThat(store.get("p-1_a", "race")).isEmpty();
        }
    }

    @Test
    void badNamesAreRefused() {
        assertThatThrownBy(() -> store.get("p-1_a", "a/b"))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> store.get("nounderscore", "x"))
                .isInstanceOfSatisfying(StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
