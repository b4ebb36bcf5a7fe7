package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure parts of vs-kafka: the ratios, the last line, the refused options (nothing is started). */
class VsKafkaBenchTest {

    /** One system's sample: msg/s over one second of 1,000-byte messages, the CPU used, and the p99 in microseconds. */
    private static VsKafkaBench.Sample sample(long messages, double serverCpu, double clientCpu, double p99Micros) {
        return new VsKafkaBench.Sample(new ByteWindowSender.Saturated(messages, 1.0, 1000, serverCpu, clientCpu),
                new WalLatencyBench.Latency(10_000, p99Micros / 2, p99Micros, p99Micros * 2, p99Micros * 3, 0));
    }

    /** Tidelog, Kafka fsync and Kafka page cache in one pair. */
    private static VsKafkaBench.Pair pair(int index, VsKafkaBench.Sample tidelog, VsKafkaBench.Sample fsync,
                                         VsKafkaBench.Sample pagecache) {
        return new VsKafkaBench.Pair(index, PairedRun.order(index, 3), List.of(tidelog, fsync, pagecache));
    }

    private static List<VsKafkaBench.Pair> threePairs(double brokerCpu) {
        return List.of(
                pair(1, sample(40_000, 1.0, 1.0, 500), sample(10_000, brokerCpu, 0.5, 5_000),
                        sample(20_000, brokerCpu, 0.5, 1_000)),
                pair(2, sample(30_000, 1.0, 1.0, 600), sample(10_000, brokerCpu, 0.5, 3_000),
                        sample(30_000, brokerCpu, 0.5, 1_200)),
                pair(3, sample(50_000, 1.0, 1.0, 400), sample(10_000, brokerCpu, 0.5, 4_000),
                        sample(25_000, brokerCpu, 0.5, 800)));
    }

    @Test
    void theRatiosAreTidelogOverKafkaPerPairInTheOrderOfTheLastLine() {
        List<VsKafkaBench.Ratio> ratios = VsKafkaBench.Ratio.all(threePairs(1.5));

        assertThat(ratios).extracting(VsKafkaBench.Ratio::name).containsExactly("throughput_vs_kafka_fsync",
                "throughput_vs_kafka_pagecache", "p99_vs_kafka_fsync", "p99_vs_kafka_pagecache",
                "mb_per_cpu_vs_kafka_fsync", "mb_per_cpu_vs_kafka_pagecache");
        // throughput vs fsync: 4, 3, 5; vs page cache: 2, 1, 2
        assertThat(ratios.get(0).summary().median()).isCloseTo(4.0, within(1e-12));
        assertThat(ratios.get(0).summary().min()).isCloseTo(3.0, within(1e-12));
        assertThat(ratios.get(0).summary().max()).isCloseTo(5.0, within(1e-12));
        assertThat(ratios.get(1).summary().median()).isCloseTo(2.0, within(1e-12));
        // p99: 0.1, 0.2, 0.1 vs fsync; 0.5, 0.5, 0.5 vs page cache
        assertThat(ratios.get(2).summary().median()).isCloseTo(0.1, within(1e-12));
        assertThat(ratios.get(2).summary().max()).isCloseTo(0.2, within(1e-12));
        assertThat(ratios.get(3).summary().median()).isCloseTo(0.5, within(1e-12));
        // MB per CPU-s: tidelog 20, 15, 25 over 2 s; fsync 10/2 = 5 MB per CPU-s; page cache 10, 15, 12.5
        assertThat(ratios.get(4).summary().median()).isCloseTo(4.0, within(1e-12));
        assertThat(ratios.get(5).summary().median()).isCloseTo(2.0, within(1e-12));
        assertThat(ratios.get(2).target()).isEqualTo(0.1);
        assertThat(ratios.get(3).target()).isEqualTo(0.2);
        assertThat(ratios.get(2).metric().higherIsBetter).isFalse();
        assertThat(ratios.get(2).label()).isEqualTo("ratio tidelog/kafka-fsync p99");
    }

    @Test
    void theLastLineIsOneJsonObjectOfTheSixMedians() {
        String line = VsKafkaBench.mediansJson(VsKafkaBench.Ratio.all(threePairs(1.5)));

        assertThat(line).isEqualTo("{\"throughput_vs_kafka_fsync\":4,\"throughput_vs_kafka_pagecache\":2,"
                + "\"p99_vs_kafka_fsync\":0.1,\"p99_vs_kafka_pagecache\":0.5,\"mb_per_cpu_vs_kafka_fsync\":4,"
                + "\"mb_per_cpu_vs_kafka_pagecache\":2}");
    }

    @Test
    void withoutTheBrokersCpuTheCpuMediansAreNullAndTheRunInconclusiveForThem() {
        List<VsKafkaBench.Ratio> ratios = VsKafkaBench.Ratio.all(threePairs(Double.NaN));

        assertThat(VsKafkaBench.mediansJson(ratios)).endsWith(
                "\"mb_per_cpu_vs_kafka_fsync\":null,\"mb_per_cpu_vs_kafka_pagecache\":null}")
                .startsWith("{\"throughput_vs_kafka_fsync\":4,");
        assertThat(Report.verdictOf(ratios.get(4).summary(), 3.0, true)).isEqualTo(Report.Verdict.INCONCLUSIVE);
    }

    @Test
    void kafkaMovingMoreThanTwiceWithinTheRunMakesItsRatiosInconclusive() {
        List<VsKafkaBench.Ratio> ratios = VsKafkaBench.Ratio.all(threePairs(1.5));
        // fsync p99 5,000 / 3,000 us: within 2x; page cache msg/s 30,000 / 20,000: within 2x
        assertThat(ratios).allSatisfy(r -> assertThat(r.summary().inconclusive()).as(r.name()).isFalse());

        List<VsKafkaBench.Pair> moved = List.of(threePairs(1.5).get(0), pair(2, sample(30_000, 1.0, 1.0, 600),
                sample(4_000, 1.5, 0.5, 3_000), sample(30_000, 1.5, 0.5, 1_200)));
        assertThat(VsKafkaBench.Ratio.all(moved).get(0).summary().inconclusive()).isTrue();
    }

    @Test
    void thePayloadIsTheSameBytesEveryTime() {
        assertThat(VsKafkaBench.payload(1024)).isEqualTo(VsKafkaBench.payload(1024)).hasSize(1024);
        assertThat(VsKafkaBench.payload(1024)).isNotEqualTo(new byte[1024]);
    }

    @Test
    void badOptionValuesAreUsageErrorsBeforeAnythingStarts() {
        assertThat(usageError("--pairs", "0")).contains("--pairs must be at least 1, got 0");
        assertThat(usageError("--seconds", "0")).contains("--seconds and --latency-seconds must be positive");
        assertThat(usageError("--latency-seconds", "-1")).contains("--seconds and --latency-seconds must be positive");
        assertThat(usageError("--warmup", "-1")).contains("--warmup and --settle-seconds must be >= 0");
        assertThat(usageError("--rate", "0")).contains("--rate must be at least 1");
        assertThat(usageError("--size", "1MiB")).contains("--size must lie in [1, 512KiB]");
        assertThat(usageError("--window", "512")).contains("--window must hold one payload");
        assertThat(usageError("--window", "64MiB")).contains("at most 32MiB");
        assertThat(usageError("--size", "64", "--window", "16MiB")).contains("at most 12288 payloads");
        assertThat(usageError("--kafka-linger-ms", "-1")).contains("--kafka-linger-ms must be >= 0");
        assertThat(usageError("-P", "server.port=1")).contains("server.port is chosen by the bench");
    }

    /** Runs vs-kafka with {@code args}, expects exit status 2 and returns what it printed on stderr. */
    private static String usageError(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "vs-kafka";
        System.arraycopy(args, 0, all, 1, args.length);
        int status = BenchMain.execute(new PrintWriter(out), new PrintWriter(err), all);
        assertThat(status).as("exit status of %s; stderr: %s", String.join(" ", all), err).isEqualTo(2);
        assertThat(out.toString()).as("nothing on stdout").isEmpty();
        return err.toString();
    }
}
