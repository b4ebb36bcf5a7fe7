package io.tidelog.node.scan;

import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.MessageKind;
import io.tidelog.message.Vchannels;
import io.tidelog.proto.MessageType;
import io.tidelog.wal.DeliverPolicy;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a scanner delivers: where it starts and which messages pass.
 *
 * <p>Transactions: a scanner delivers a committed transaction as one {@code TXN} message (see
 * {@link TxnBuffer}); the vchannel filter applies to its pieces (a transaction lives on one vchannel), the
 * time-tick and type filters to the {@code TXN} message: a transaction passes by its commit's time tick, and
 * a type filter must name {@code TXN} to let transactions through.
 *
 * @param policy     where to start
 * @param vchannel   only messages of this vchannel (and pchannel-wide ones: TimeTicks); null for all
 * @param timeTickGt only messages with a time tick greater than this (0: no bound)
 * @param timeTickGe only messages with a time tick at least this (0: no bound)
 * @param types      only messages of these types; empty for all
 */
public record ReadOptions(DeliverPolicy policy, String vchannel, long timeTickGt, long timeTickGe, Set<MessageType> types) {

    public ReadOptions {
        Objects.requireNonNull(policy, "policy");
        if (vchannel != null) {
            Vchannels.validateVchannel(vchannel);
        }
        types = types.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(types));
    }

    public static ReadOptions from(DeliverPolicy policy) {
        return new ReadOptions(policy, null, 0, 0, Set.of());
    }

    public ReadOptions withVchannel(String v) {
        return new ReadOptions(policy, v, timeTickGt, timeTickGe, types);
    }

    public ReadOptions withTimeTickGreaterThan(long t) {
        return new ReadOptions(policy, vchannel, t, timeTickGe, types);
    }

    public ReadOptions withTimeTickAtLeast(long t) {
        return new ReadOptions(policy, vchannel, timeTickGt, t, types);
    }

    public ReadOptions withTypes(Set<MessageType> t) {
        return new ReadOptions(policy, vchannel, timeTickGt, timeTickGe, t);
    }

    /** Whether {@code m} passes every filter. */
    public boolean accepts(ImmutableMessage m) {
        if (!acceptsVchannel(m)) {
            return false;
        }
        if (m.timeTick() <= timeTickGt || m.timeTick() < timeTickGe) {
            return false;
        }
        return types.isEmpty() || types.contains(m.type());
    }

    /** Whether {@code m} passes the vchannel filter: pchannel-wide messages always do. */
    public boolean acceptsVchannel(ImmutableMessage m) {
        return vchannel == null || MessageKind.isPchannelWide(m.type()) || vchannel.equals(m.vchannel());
    }
}
