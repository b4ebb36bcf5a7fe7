package io.tidelog.meta.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedMetaStoreConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsApplyWhenOnlyTheDirectoryIsGiven() {
        EmbeddedMetaStoreConfig c = EmbeddedMetaStoreConfig.from(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString()));
        assertThat(c.dir()).isEqualTo(dir);
        assertThat(c.file()).isEqualTo(dir.resolve("meta.mv.db"));
        assertThat(c.historyRevisions()).isEqualTo(10_000);
        assertThat(c.leaseCheckInterval()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void theDirectoryIsRequired() {
        assertInvalid(Map.of(), "meta.embedded.dir");
    }

    @Test
    void unknownAndOutOfRangeKeysAreRefusedByName() {
        assertInvalid(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString(), "meta.embedded.histroy.revisions", "5"),
                "meta.embedded.histroy.revisions");
        assertInvalid(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString(), EmbeddedMetaStoreConfig.HISTORY_REVISIONS, "0"),
                EmbeddedMetaStoreConfig.HISTORY_REVISIONS);
        assertInvalid(Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString(), EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL, "1h"),
                EmbeddedMetaStoreConfig.LEASE_CHECK_INTERVAL);
    }

    @Test
    void theRegistryOpensTheStoreFromProperties() {
        try (MetaStore s = MetaStores.create("embedded", Map.of(EmbeddedMetaStoreConfig.DIR, dir.toString()))) {
            assertThat(s).isInstanceOf(MvStoreMetaStore.class);
            s.put("a", new byte[] {1});
        }
        assertThat(dir.resolve("meta.mv.db")).exists();
    }

    @Test
    void anUnknownStoreNameListsTheAvailableOnes() {
        assertThatThrownBy(() -> MetaStores.create("zookeeper", Map.of()))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("embedded");
                });
    }

    private static void assertInvalid(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> EmbeddedMetaStoreConfig.from(properties))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(key);
                });
    }
}
