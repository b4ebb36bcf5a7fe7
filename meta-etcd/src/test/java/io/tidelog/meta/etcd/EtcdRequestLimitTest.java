package io.tidelog.meta.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.Op;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An etcd whose {@code --max-request-bytes} (256 KiB here) is below what the store allows: etcd refuses the larger
 * requests, with nothing written, and the store says so with {@code INVALID_ARGUMENT} naming both limits, whether
 * etcd refuses it itself or its gRPC server does (a request beyond the limit plus 512 KiB).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdRequestLimitTest {
    private static final int LIMIT = 256 * 1024;

    @RegisterExtension
    static final EtcdServer ETCD = EtcdServer.withMaxRequestBytes(LIMIT);

    @Test
    void requestsAboveEtcdsLimitAreRefusedWithNothingWritten() {
        try (MetaStore s = new EtcdMetaStore(EtcdMetaStoreConfig.from(ETCD.storeProperties("limit/")))) {
            long fits = s.put("fits", new byte[LIMIT - 1024]);
            long before = s.currentRevision();
            assertThat(before).isEqualTo(fits);

            assertRefused(() -> s.put("above", new byte[LIMIT + 1024]));
            assertRefused(() -> s.put("far-above", new byte[900 * 1024]));
            assertRefused(() -> s.txn(List.of(), List.of(Op.put("half/1", new byte[LIMIT / 2 + 1024]),
                    Op.put("half/2", new byte[LIMIT / 2 + 1024])), List.of()));

            assertThat(s.currentRevision()).as("nothing was written").isEqualTo(before);
            assertThat(s.scan("")).hasSize(1);
        }
    }

    private static void assertRefused(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("--max-request-bytes", EtcdMetaStoreConfig.MAX_VALUE_BYTES);
        });
    }
}
