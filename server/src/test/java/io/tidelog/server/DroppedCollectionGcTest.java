package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.client.CollectionDescription;
import io.tidelog.client.StreamingClient;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone server removes a dropped collection's Parquet files, delete logs and manifests from its
 * directory object store once {@code gc.dropped.retention} has passed, also across a restart, and leaves every
 * other collection's files alone.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DroppedCollectionGcTest {
    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient client;

    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>(CollectionServiceTest.config());
        c.put("gc.dropped.retention", "2s");
        c.put("gc.interval", "100ms");
        return c;
    }

    void start() {
        server = TestStandalone.start(dir, config());
        client = StreamingClient.builder().target(server.address()).build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /**
     * The regular files under {@code objects/collections/<id>/}. The collector may be deleting meanwhile, and the
     * store removes the directories its deletes leave empty: a walk that meets a directory gone under it looks again.
     */
    List<Path> filesOf(long collectionId) {
        Path root = dir.resolve("objects").resolve("collections").resolve(Long.toString(collectionId));
        while (true) {
            if (!Files.exists(root)) {
                return List.of();
            }
            try (Stream<Path> s = Files.walk(root)) {
                return s.filter(Files::isRegularFile).sorted().toList();
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException)) {
                    throw e;
                }
            } catch (NoSuchFileException e) {
                // the root went while the walk started: look again
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Rows, deletes, a flush (Parquet files, a delete log, manifests), then rows left growing. */
    CollectionDescription filled(String name) throws Exception {
        CollectionDescription c = client.collections().createBlocking(name, CollectionServiceTest.BOOKS, 2);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 30; id++) {
            rows.add(CollectionServiceTest.book(id));
        }
        client.insert(name, rows).get(30, TimeUnit.SECONDS);
        client.delete(name, List.of(1L, 2L)).get(30, TimeUnit.SECONDS);
        client.collections().flushBlocking(name);
        client.insert(name, List.of(CollectionServiceTest.book(100), CollectionServiceTest.book(101)))
                .get(30, TimeUnit.SECONDS);
        return c;
    }

    @Test
    void aDroppedCollectionsFilesAreRemovedAfterTheRetentionAlsoAcrossARestartAndNoOtherCollectionsAre()
            throws Exception {
        start();
        CollectionDescription books = filled("books");
        CollectionDescription films = filled("films");
        List<Path> filmsFiles = filesOf(films.id());
        assertThat(filmsFiles).anyMatch(p -> p.toString().endsWith(".parquet")).anyMatch(p -> p.toString().endsWith(".json"));
        assertThat(filesOf(books.id())).hasSameSizeAs(filmsFiles);

        // the drop seals the growing segments: their files are uploaded after it, and removed with the others
        client.collections().dropBlocking("books");
        assertThat(filesOf(books.id())).as("right after the drop, within the retention").isNotEmpty();
        client.close();
        server.close();
        start();

        Await.until("the files of the dropped collection are removed", Duration.ofSeconds(60),
                () -> filesOf(books.id()).isEmpty());
        assertThat(filesOf(films.id())).isEqualTo(filmsFiles);
        assertThatThrownBy(() -> client.collections().segmentsBlocking("books")).isInstanceOfSatisfying(
                StreamingException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(client.collections().segmentsBlocking("films")).isNotEmpty();
    }
}
