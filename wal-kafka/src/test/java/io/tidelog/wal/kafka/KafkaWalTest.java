package io.tidelog.wal.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.wal.DeliverPolicy;
import io.tidelog.wal.LogRecord;
import io.tidelog.wal.OpenOptions;
import io.tidelog.wal.Wal;
import io.tidelog.wal.WalScanner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the conformance suite does not cover, on a real broker in the JVM: fencing of stale openers, terms, topics. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaWalTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    static final InJvmKafka KAFKA = new InJvmKafka();
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static Admin admin;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String prefix;

    @BeforeAll
    static void openAdmin() {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()));
    }

    @AfterAll
    static void closeAdmin() {
        admin.close();
    }

    @BeforeEach
    void freshTopics() {
        prefix = "wal-" + TESTS.incrementAndGet() + "-";
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private KafkaWalBackend backend(String... keyValues) {
        Map<String, String> p = new HashMap<>(KAFKA.walProperties(prefix));
        p.put(KafkaWalConfig.MAX_RECORD_BYTES, "1MiB");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        KafkaWalBackend b = new KafkaWalBackend(KafkaWalConfig.from(p));
        toClose.add(b);
        return b;
    }

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageId append(Wal wal, String s) throws Exception {
        return wal.append(text(s)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static List<String> readAll(Wal wal) throws InterruptedException {
        List<String> out = new ArrayList<>();
        try (WalScanner s = wal.read(DeliverPolicy.all())) {
            LogRecord r;
            while ((r = s.poll(Duration.ofMillis(500))) != null) {
                out.add(new String(r.bytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void aStaleOpenerInAnotherProcessIsFencedWithoutFencingTheNewerWriter() throws Exception {
        Wal newer = backend().open(OpenOptions.readWrite("p-stale", 7));
        append(newer, "t7-a");

        KafkaWalBackend elsewhere = backend();
        assertThatThrownBy(() -> elsewhere.open(OpenOptions.readWrite("p-stale", 6)))
                .isInstanceOfSatisfying(StreamingException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED);
                    assertThat(e.getMessage()).contains("p-stale").contains("term 7");
                });

        // had the stale open called initTransactions, the newer writer would be fenced now
        append(newer, "t7-b");
        assertThat(readAll(newer)).containsExactly("t7-a", "t7-b");
    }

    @Test
    void anOpenerThatANewerOneRacedBetweenReadingTheTermAndFencingAbortsItsTermRecordAndFails() throws Exception {
        KafkaWalBackend backend = backend();
        Wal first = backend.open(OpenOptions.readWrite("p-race", 5));
        append(first, "t5");
        first.close();

        Wal[] newer = new Wal[1];
        KafkaClients stale = new KafkaClients(backend.config());
        assertThatThrownBy(() -> TermFence.claim(stale, "p-race", 6, new TopicPartition(prefix + "p-race", 0), () -> {
            newer[0] = backend.open(OpenOptions.readWrite("p-race", 7));
            assertThat(newer[0].append(text("t7")).join()).isNotNull();
        })).isInstanceOfSatisfying(StreamingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED);
            assertThat(e.getMessage()).contains("term 7");
        });
        assertThat(committedTermRecords(prefix + "p-race")).as("the TERM record of 6 never became visible")
                .containsExactly(5L, 7L);

        // The liveness cost KafkaWal states: the stale opener's initTransactions fenced the newer writer too, which
        // recovers by opening its term again.
        assertThat(newer[0].append(text("t7-fenced")))
                .failsWithin(WAIT).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .satisfies(e -> assertThat(StreamingException.from(e.getCause()).code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        newer[0].close();
        Wal again = backend.open(OpenOptions.readWrite("p-race", 7));
        append(again, "t7-again");
        assertThat(readAll(again)).containsExactly("t5", "t7", "t7-again");
    }

    @Test
    void theScannerDropsDataOfALowerTermAfterAHigherTermsRecordAndSkipsTermRecords() throws Exception {
        String topic = prefix + "p-terms";
        admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all()
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (KafkaProducer<byte[], byte[]> plain = plainProducer()) {
            write(plain, topic, "a", TermHeaders.data(1));
            write(plain, topic, "", TermHeaders.termRecord(2));
            write(plain, topic, "b", TermHeaders.data(2));
            write(plain, topic, "stale", TermHeaders.data(1));
            write(plain, topic, "c", TermHeaders.data(2));
            write(plain, topic, "", TermHeaders.termRecord(3));
            write(plain, topic, "also stale", TermHeaders.data(2));
            write(plain, topic, "d", TermHeaders.data(3));
        }
        Wal reader = backend().open(OpenOptions.readOnly("p-terms"));
        assertThat(readAll(reader)).containsExactly("a", "b", "c", "d");
    }

    @Test
    void aRecordWithoutATermIsReportedAsCorruptedWithItsPosition() throws Exception {
        String topic = prefix + "p-foreign";
        admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all()
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (KafkaProducer<byte[], byte[]> plain = plainProducer()) {
            write(plain, topic, "ours", TermHeaders.data(1));
            write(plain, topic, "foreign", List.of());
        }
        Wal reader = backend().open(OpenOptions.readOnly("p-foreign"));
        try (WalScanner s = reader.read(DeliverPolicy.all())) {
            assertThat(new String(s.poll(WAIT).bytes(), StandardCharsets.UTF_8)).isEqualTo("ours");
            assertThatThrownBy(() -> s.poll(WAIT)).isInstanceOfSatisfying(StreamingException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.DATA_CORRUPTED);
                assertThat(e.getMessage()).contains("p-foreign").contains("0:1");
            });
        }
    }

    @Test
    void aReadOnlyOpenCreatesNoTopicEvenWhenItsScannersPoll() throws Exception {
        Wal reader = backend().open(OpenOptions.readOnly("p-nothing"));
        for (DeliverPolicy policy : List.of(DeliverPolicy.all(), DeliverPolicy.latest())) {
            try (WalScanner s = reader.read(policy)) {
                assertThat(s.poll(Duration.ofMillis(500))).isNull();
            }
        }
        assertThat(admin.listTopics().names().get(WAIT.toSeconds(), TimeUnit.SECONDS)).doesNotContain(prefix + "p-nothing");
    }

    @Test
    void theTopicKeepsRecordsUntilTheWalTruncatesThemAndAdmitsTheLargestRecord() throws Exception {
        backend().open(OpenOptions.readWrite("p-topic", 1)).close();
        Config c = topicConfig(prefix + "p-topic");
        assertThat(c.get(TopicConfig.RETENTION_MS_CONFIG).value()).isEqualTo("-1");
        assertThat(c.get(TopicConfig.RETENTION_BYTES_CONFIG).value()).isEqualTo("-1");
        assertThat(c.get(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG).value()).isEqualTo("false");
        assertThat(Integer.parseInt(c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value())).isGreaterThan(1 << 20);

        // a later open with a larger limit raises the topic's
        Wal larger = backend(KafkaWalConfig.MAX_RECORD_BYTES, "3MiB").open(OpenOptions.readWrite("p-topic", 2));
        assertThat(Integer.parseInt(topicConfig(prefix + "p-topic").get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value()))
                .isGreaterThan(3 << 20);
        MessageId big = larger.append(ByteBuffer.allocate(3 << 20)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (WalScanner s = larger.read(DeliverPolicy.startFrom(big))) {
            assertThat(s.poll(WAIT).payload().remaining()).isEqualTo(3 << 20);
        }
        assertThat(larger.retainedBytes()).isGreaterThan(3 << 20);
    }

    @Test
    void aLogThatANewerTermFencedRefusesToTruncate() throws Exception {
        KafkaWalBackend backend = backend();
        Wal old = backend.open(OpenOptions.readWrite("p-trunc-fenced", 1));
        MessageId first = append(old, "one");
        append(old, "two");
        Wal newer = backend.open(OpenOptions.readWrite("p-trunc-fenced", 2));

        assertThatThrownBy(() -> old.truncate(first)).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHANNEL_FENCED));
        assertThat(readAll(newer)).containsExactly("one", "two");
    }

    /** The terms of the committed TERM records of a topic, in log order. */
    private static List<Long> committedTermRecords(String topic) {
        List<Long> terms = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition p = new TopicPartition(topic, 0);
            c.assign(List.of(p));
            c.seekToBeginning(List.of(p));
            long end = c.endOffsets(List.of(p)).get(p);
            while (c.position(p) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    if (TermHeaders.isTermRecord(r.headers())) {
                        terms.add(TermHeaders.termOf(r.headers()));
                    }
                }
            }
        }
        return terms;
    }

    private static Config topicConfig(String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(r)).all().get(WAIT.toSeconds(), TimeUnit.SECONDS).get(r);
    }

    private static KafkaProducer<byte[], byte[]> plainProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void write(KafkaProducer<byte[], byte[]> p, String topic, String value, List<Header> headers)
            throws Exception {
        p.send(new ProducerRecord<>(topic, 0, null, null, value.getBytes(StandardCharsets.UTF_8), headers))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
}
