package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the WAL backend of a standalone server: bad choices fail the start at once, with the reason. */
class WalBackendSelectionTest {
    @TempDir
    Path dir;

    private static final Map<String, String> SMALL = Map.of("server.port", "0", "coord.pchannel.count", "2");

    private static Map<String, String> with(String... kv) {
        Map<String, String> p = new java.util.HashMap<>(SMALL);
        for (int i = 0; i < kv.length; i += 2) {
            p.put(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void anUnknownBackendIsRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> TestStandalone.start(dir, with("wal.backend", "nosuch")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("nosuch").contains("local").contains("objectstore")
                            .contains("kafka").contains("pulsar");
                });
    }

    @Test
    void aKeyOfAnotherBackendIsRefused() {
        assertThatThrownBy(() -> TestStandalone.start(dir, with("wal.backend", "objectstore",
                "wal.local.segment.bytes", "16MiB")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("wal.local.segment.bytes").contains("objectstore");
                });
    }

    @Test
    void kafkaWithoutItsBrokersIsRefusedNamingTheKeyAndLeavesTheDirectoryFreeToStartOnAnotherBackend() {
        assertThatThrownBy(() -> TestStandalone.start(dir, with("wal.backend", "kafka")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("wal.kafka.bootstrap.servers");
                });
        TestStandalone.start(dir, with()).close();
    }

    @Test
    void pulsarWithoutItsBrokersIsRefusedNamingTheKeyAndLeavesTheDirectoryFreeToStartOnAnotherBackend() {
        assertThatThrownBy(() -> TestStandalone.start(dir, with("wal.backend", "pulsar")))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("wal.pulsar.service.url");
                });
        TestStandalone.start(dir, with()).close();
    }

    @Test
    void aNewDataDirectoryRefusesLogsAnotherDirectoryWroteAndTheDirectoryThatWroteThemRestarts() {
        Map<String, String> shared = with("wal.backend", "objectstore", "wal.objectstore.uri", "file:" + dir.resolve("logs"));
        TestStandalone.start(dir.resolve("first"), shared).close();
        assertThatThrownBy(() -> TestStandalone.start(dir.resolve("second"), shared))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("data directory is new").contains("pchannel-0")
                            .contains("wal.objectstore.uri");
                });
        TestStandalone.start(dir.resolve("first"), shared).close();
        TestStandalone.start(dir.resolve("second"),
                with("wal.backend", "objectstore", "wal.objectstore.uri", "file:" + dir.resolve("other-logs"))).close();
    }

    @Test
    void aDataDirectoryRestartsOnlyOnTheBackendItStartedWith() {
        TestStandalone.start(dir, with("wal.backend", "objectstore")).close();
        assertThatThrownBy(() -> TestStandalone.start(dir, with()))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("'objectstore'").contains("'local'");
                });
        TestStandalone.start(dir, with("wal.backend", "objectstore")).close();
    }
}
