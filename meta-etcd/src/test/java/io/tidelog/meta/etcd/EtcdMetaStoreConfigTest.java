package io.tidelog.meta.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.HostPort;
import io.tidelog.common.StreamingException;
import io.tidelog.meta.MetaStore;
import io.tidelog.meta.MetaStores;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EtcdMetaStoreConfigTest {
    private static final String ENDPOINTS = EtcdMetaStoreConfig.ENDPOINTS;

    @Test
    void defaultsApplyWhenOnlyTheEndpointsAreGiven() {
        EtcdMetaStoreConfig c = EtcdMetaStoreConfig.from(Map.of(ENDPOINTS, "localhost:2379"));
        assertThat(c.endpoints()).containsExactly(new HostPort("localhost", 2379));
        assertThat(c.root()).isEqualTo("tidelog/");
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.maxValueBytes()).isEqualTo(MetaStore.MAX_REQUEST_BYTES);
    }

    @Test
    void severalEndpointsWithOrWithoutSchemeMakeOneTarget() {
        EtcdMetaStoreConfig c = EtcdMetaStoreConfig.from(Map.of(ENDPOINTS,
                "http://10.0.0.1:2379, 10.0.0.2:2379,http://[::1]:2380/"));
        assertThat(c.endpoints()).extracting(HostPort::toString)
                .containsExactly("10.0.0.1:2379", "10.0.0.2:2379", "[::1]:2380");
        assertThat(c.target()).isEqualTo("ip:///10.0.0.1:2379,10.0.0.2:2379,[::1]:2380");
    }

    @Test
    void theEndpointsAreRequired() {
        assertInvalid(Map.of(), ENDPOINTS);
        assertInvalid(Map.of(ENDPOINTS, " "), ENDPOINTS);
    }

    @Test
    void badValuesAreRefusedNamingTheirKey() {
        assertInvalid(Map.of(ENDPOINTS, "localhost"), ENDPOINTS);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379,:2379"), ENDPOINTS);
        assertInvalid(Map.of(ENDPOINTS, "https://localhost:2379"), ENDPOINTS);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379", EtcdMetaStoreConfig.ROOT, " "), EtcdMetaStoreConfig.ROOT);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379", EtcdMetaStoreConfig.ROOT, "r".repeat(300)),
                EtcdMetaStoreConfig.ROOT);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379", EtcdMetaStoreConfig.REQUEST_TIMEOUT, "10ms"),
                EtcdMetaStoreConfig.REQUEST_TIMEOUT);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379", EtcdMetaStoreConfig.MAX_VALUE_BYTES, "2MiB"),
                EtcdMetaStoreConfig.MAX_VALUE_BYTES);
        assertInvalid(Map.of(ENDPOINTS, "localhost:2379", "meta.etcd.endpoint", "localhost:2379"),
                "meta.etcd.endpoint");
    }

    @Test
    void theRegistryOpensTheStoreFromPropertiesWithoutReachingEtcd() {
        try (MetaStore s = MetaStores.create("etcd", Map.of(ENDPOINTS, "127.0.0.1:1",
                EtcdMetaStoreConfig.ROOT, "cluster-a/", EtcdMetaStoreConfig.MAX_VALUE_BYTES, "512KiB"))) {
            assertThat(s).isInstanceOf(EtcdMetaStore.class);
            assertThat(s.name()).isEqualTo("etcd");
            assertThat(s.toString()).contains("127.0.0.1:1", "cluster-a/");
        }
    }

    private static void assertInvalid(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> EtcdMetaStoreConfig.from(properties))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains(key);
                });
    }
}
