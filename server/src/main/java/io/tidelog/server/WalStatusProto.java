package io.tidelog.server;

import io.tidelog.message.MessageIds;
import io.tidelog.node.WalStatus;
import io.tidelog.node.retention.RetentionStatus;
import io.tidelog.proto.PchannelStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's WAL status as {@code status} shows it: the {@link PchannelStatus} fields a node knows (everything but
 * the owner and the coordinator's state), for a standalone server's own node and for a cluster node's heartbeats.
 */
final class WalStatusProto {
    private WalStatusProto() {
    }

    static List<PchannelStatus> all(List<WalStatus> statuses) {
        List<PchannelStatus> out = new ArrayList<>(statuses.size());
        for (WalStatus s : statuses) {
            out.add(of(s));
        }
        return out;
    }

    static PchannelStatus of(WalStatus s) {
        PchannelStatus.Builder p = PchannelStatus.newBuilder().setPchannel(s.pchannel()).setTerm(s.term())
                .setAvailable(s.available()).setLastTimeTick(s.lastTimeTick()).setInFlight(s.inFlight())
                .setAppended(s.appended()).setBufferBytes(s.bufferBytes())
                .setRetainedBytes(Math.max(0, s.retainedBytes()));
        if (s.lastId() != null) {
            p.setLastId(MessageIds.toProto(s.lastId()));
        }
        RetentionStatus r = s.retention();
        if (r.earliest() != null) {
            p.setEarliestId(MessageIds.toProto(r.earliest().messageId())).setEarliestTimeTick(r.earliest().timeTick());
        }
        if (r.truncatedBelow() != null) {
            p.setTruncatedBelow(MessageIds.toProto(r.truncatedBelow()));
        }
        if (r.bound() != null) {
            p.setTruncationBound(r.bound());
        }
        p.setSubscriptions(r.subscriptions()).setSubscriptionsLetGo(r.letGo());
        if (s.checkpoint() != null) {
            p.setCheckpointId(MessageIds.toProto(s.checkpoint().messageId()))
                    .setCheckpointTimeTick(s.checkpoint().timeTick());
        }
        if (s.unavailableReason() != null) {
            p.setUnavailableReason(s.unavailableReason());
        }
        return p.build();
    }
}
