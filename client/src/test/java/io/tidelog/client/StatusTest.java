package io.tidelog.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.tidelog.client.testing.FakeCluster;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.MessageId;
import io.tidelog.common.StreamingException;
import io.tidelog.proto.CoordinatorStatus;
import io.tidelog.proto.MessageIdProto;
import io.tidelog.proto.NodeStatus;
import io.tidelog.proto.PchannelStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StatusTest {

    @Test
    void statusIsTheCoordinatorsViewAsRecords() {
        long tt = (1_700_000_000_123L << 18) | 5;
        try (FakeCluster cluster = FakeCluster.start("node-a");
                StreamingClient client = cluster.clientBuilder().build()) {
            cluster.coordinator().setStatus(io.tidelog.proto.ClusterStatus.newBuilder()
                    .addPchannels(PchannelStatus.newBuilder().setPchannel("p-0").setNodeId("node-a").setTerm(3)
                            .setAvailable(true).setLastTimeTick(tt).setLastId(MessageIdProto.newBuilder().setMajor(1).setMinor(2))
                            .setInFlight(4).setAppended(5).setBufferBytes(6).setRetainedBytes(7)
                            .setEarliestId(MessageIdProto.newBuilder().setMajor(1).setMinor(0)).setEarliestTimeTick(tt - 1)
                            .setTruncatedBelow(MessageIdProto.newBuilder().setMajor(1).setMinor(0))
                            .setTruncationBound("wal.retention.time").setSubscriptions(2).setSubscriptionsLetGo(1)
                            .setCheckpointId(MessageIdProto.newBuilder().setMajor(1).setMinor(2)).setState("ASSIGNED"))
                    .addPchannels(PchannelStatus.newBuilder().setPchannel("p-1").setUnavailableReason("RESOURCE_EXHAUSTED: full"))
                    .addNodes(NodeStatus.newBuilder().setNodeId("node-a").setAddress("h:1").setAlive(true))
                    .addCoordinators(CoordinatorStatus.newBuilder().setCoordinatorId("c-1").setAddress("h:2").setLeader(true))
                    .build());

            ClusterStatus s = client.statusBlocking();
            assertThat(s.pchannels()).containsExactly(
                    new ClusterStatus.PchannelStatus("p-0", "node-a", 3, true, tt, MessageId.of(1, 2), 4, 5, 6, 7,
                            new ClusterStatus.Retention(MessageId.of(1, 0), tt - 1, MessageId.of(1, 0), "wal.retention.time", 2, 1,
                                    MessageId.of(1, 2)), "", "ASSIGNED"),
                    new ClusterStatus.PchannelStatus("p-1", "", 0, false, 0, null, 0, 0, 0, 0,
                            new ClusterStatus.Retention(null, 0, null, "", 0, 0, null), "RESOURCE_EXHAUSTED: full", ""));
            assertThat(s.pchannels().get(0).retention().earliestTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
            assertThat(s.pchannels().get(0).lastTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
            assertThat(s.pchannels().get(1).lastTime()).isNull();
            assertThat(s.nodes()).containsExactly(new ClusterStatus.NodeStatus("node-a", "h:1", true));
            assertThat(s.coordinators()).containsExactly(new ClusterStatus.CoordinatorStatus("c-1", "h:2", true));
        }
    }

    @Test
    void statusOfAnUnreachableCoordinatorFailsWithOnShutdown() {
        try (StreamingClient client = StreamingClient.builder().target("nobody-listens-here:1")
                .channelBuilders(InProcessChannelBuilder::forName).build()) {
            assertThatThrownBy(client::statusBlocking).isInstanceOfSatisfying(StreamingException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.ON_SHUTDOWN));
        }
    }

    @Test
    void aClientNeedsATarget() {
        assertThatThrownBy(() -> StreamingClient.builder().build()).isInstanceOfSatisfying(StreamingException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void startPositionsParseFromText() {
        assertThat(StartPosition.parse("earliest")).isEqualTo(StartPosition.earliest());
        assertThat(StartPosition.parse("LATEST")).isEqualTo(StartPosition.latest());
        assertThat(StartPosition.parse("3:1024")).isEqualTo(StartPosition.from(MessageId.of(3, 1024)));
        assertThat(StartPosition.parse("after:3:1024")).isEqualTo(StartPosition.after(MessageId.of(3, 1024)));
        assertThat(StartPosition.parse("after:3:1024").toString()).isEqualTo("after:3:1024");
        assertThatThrownBy(() -> StartPosition.parse("yesterday")).isInstanceOf(StreamingException.class)
                .hasMessageContaining("earliest, latest, MAJOR:MINOR");
    }
}
