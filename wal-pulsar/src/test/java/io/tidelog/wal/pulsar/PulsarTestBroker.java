package io.tidelog.wal.pulsar;

import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real Pulsar broker of the tests ({@link StandaloneBrokerProcess}): started once per test JVM, the first time a
 * test class registers this extension, shared by every test class after it, and stopped when the JVM exits: the
 * ~10 s start is paid once per module run.
 */
public final class PulsarTestBroker implements BeforeAllCallback {
    private static StandaloneBrokerProcess started;

    @Override
    public void beforeAll(ExtensionContext context) {
        shared();
    }

    /** The broker of this JVM, started on first use. */
    public static synchronized StandaloneBrokerProcess shared() {
        if (started == null) {
            started = StandaloneBrokerProcess.start("512m");
            StandaloneBrokerProcess s = started;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "pulsar-test-broker-stop"));
        }
        return started;
    }

    /** The properties of a pulsar backend on this broker whose topics carry {@code topicPrefix}. */
    public static Map<String, String> walProperties(String topicPrefix) {
        StandaloneBrokerProcess s = shared();
        return Map.of(PulsarWalConfig.SERVICE_URL, s.serviceUrl(), PulsarWalConfig.ADMIN_URL, s.adminUrl(),
                PulsarWalConfig.TOPIC_PREFIX, topicPrefix);
    }
}
