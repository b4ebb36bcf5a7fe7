package io.tidelog.pulsar.testbroker;

import io.netty.buffer.ByteBuf;
import java.lang.reflect.Field;
import java.util.zip.CRC32C;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.impl.EntryImpl;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.intercept.BrokerInterceptor;
import org.apache.pulsar.broker.service.Consumer;
import org.apache.pulsar.broker.service.EntryAndMetadata;
import org.apache.pulsar.broker.service.ServerCnx;
import org.apache.pulsar.broker.service.Subscription;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.api.proto.BaseCommand;
import org.apache.pulsar.common.api.proto.CompressionType;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.api.proto.SingleMessageMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker interceptor of the test broker only: it makes the broker deliver one message of a topic damaged, as a
 * storage that silently flipped a bit would, so that a test sees what a reader of damaged data sees.
 *
 * <p><b>Contract.</b> A topic whose properties (the admin API's {@code updateProperties}) hold
 * {@value #PROPERTY}{@code = <ledger>:<entry>:<batchIndex>} has, in every entry the broker dispatches to a consumer or
 * reader from then on, the first payload byte of that message inverted (batch index 0 for a message sent alone; a
 * message with an empty payload is left alone), and the entry's wire checksum (Pulsar's CRC32C of metadata and
 * payload) recomputed over the damaged bytes: Pulsar's client accepts the entry and hands the damaged message on, so
 * only a check of the application's own (such as the pulsar WAL's per-record CRC32C) can catch it. With the suffix
 * {@code :}{@value #STALE_CHECKSUM} the checksum is left as written instead: Pulsar's client then finds the entry
 * damaged and drops it whole without telling the application (only a gap in what it reads shows). The ledger, the
 * bookie and the broker's entry cache keep the bytes as written: each dispatch damages a copy of the entry, which
 * replaces the dispatched entry's buffer. A compressed entry is left alone (its payload cannot be damaged in place
 * without decompressing it), and a warning is logged.
 *
 * <p>Pulsar loads it from a NAR in {@code brokerInterceptorsDirectory} named by {@code brokerInterceptors} (its
 * {@code META-INF/services/broker_interceptor.yml} names it {@value #NAME}).
 */
public final class DamagingInterceptor implements BrokerInterceptor {
    /** The interceptor's name in {@code brokerInterceptors}. */
    public static final String NAME = "tidelog-damage";
    /** The topic property naming the message to damage: {@code <ledger>:<entry>:<batchIndex>}. */
    public static final String PROPERTY = "tidelog.test.damage";
    /** The suffix of the property's value that leaves the entry's wire checksum as written. */
    public static final String STALE_CHECKSUM = "stale-checksum";

    private static final Logger LOG = LoggerFactory.getLogger(DamagingInterceptor.class);
    private static final short MAGIC_CRC32C = 0x0e01;
    private static final short MAGIC_BROKER_ENTRY_METADATA = 0x0e02;
    private static final Field ENTRY_DATA = entryDataField();

    private static Field entryDataField() {
        try {
            // EntryImpl has no setter for its buffer; the damaged copy must replace it for this dispatch only.
            Field f = EntryImpl.class.getDeclaredField("data");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("this Pulsar's EntryImpl has no field 'data'", e);
        }
    }

    @Override
    public void beforeSendMessage(Subscription subscription, Entry entry, long[] ackSet, MessageMetadata metadata,
                                  Consumer consumer) {
        String target = target(subscription);
        if (target == null || metadata == null) {
            return;
        }
        String[] parts = target.split(":");
        if (parts.length < 3 || Long.parseLong(parts[0]) != entry.getLedgerId()
                || Long.parseLong(parts[1]) != entry.getEntryId()) {
            return;
        }
        int batchIndex = Integer.parseInt(parts[2]);
        boolean recomputeChecksum = !(parts.length == 4 && STALE_CHECKSUM.equals(parts[3]));
        if (metadata.hasCompression() && metadata.getCompression() != CompressionType.NONE) {
            LOG.warn("{}: entry {}:{} is compressed ({}); not damaged", NAME, entry.getLedgerId(), entry.getEntryId(),
                    metadata.getCompression());
            return;
        }
        EntryImpl impl = (EntryImpl) (entry instanceof EntryAndMetadata e ? e.unwrap() : entry);
        ByteBuf original = impl.getDataBuffer();
        ByteBuf copy = original.copy();
        if (!damage(copy, metadata.hasNumMessagesInBatch(), batchIndex, recomputeChecksum)) {
            copy.release();
            LOG.warn("{}: entry {}:{} has no non-empty message at batch index {}; not damaged", NAME,
                    entry.getLedgerId(), entry.getEntryId(), batchIndex);
            return;
        }
        try {
            ENTRY_DATA.set(impl, copy);
        } catch (IllegalAccessException e) {
            copy.release();
            throw new IllegalStateException(e);
        }
        original.release();
        LOG.info("{}: delivering message {}:{}:{} damaged ({}) to subscription {}", NAME, entry.getLedgerId(),
                entry.getEntryId(), batchIndex, recomputeChecksum ? "checksum recomputed" : "stale checksum",
                subscription.getName());
    }

    private static String target(Subscription subscription) {
        if (!(subscription.getTopic() instanceof PersistentTopic topic)) {
            return null;
        }
        return topic.getManagedLedger().getProperties().get(PROPERTY);
    }

    /**
     * Inverts the first payload byte of the message at {@code batchIndex} of the entry in {@code buf} (its whole
     * readable range: [broker entry metadata] [magic, checksum] metadata size, metadata, payload) and, if asked,
     * recomputes the checksum if the entry has one. False if there is no such message or its payload is empty.
     */
    static boolean damage(ByteBuf buf, boolean batched, int batchIndex, boolean recomputeChecksum) {
        int at = buf.readerIndex();
        if (buf.getShort(at) == MAGIC_BROKER_ENTRY_METADATA) {
            at += 2 + 4 + buf.getInt(at + 2);
        }
        int checksumAt = -1;
        if (buf.getShort(at) == MAGIC_CRC32C) {
            checksumAt = at + 2;
            at += 6;
        }
        int checkedFrom = at;
        int payloadAt = at + 4 + buf.getInt(at);
        int end = buf.writerIndex();
        int victim;
        if (!batched) {
            if (batchIndex != 0 || payloadAt >= end) {
                return false;
            }
            victim = payloadAt;
        } else {
            // A batch: per message, the size of its SingleMessageMetadata, that metadata, then its payload.
            int pos = payloadAt;
            victim = -1;
            for (int i = 0; i <= batchIndex && pos + 4 <= end; i++) {
                int metaSize = buf.getInt(pos);
                SingleMessageMetadata single = new SingleMessageMetadata();
                single.parseFrom(buf.slice(pos + 4, metaSize), metaSize);
                int payloadStart = pos + 4 + metaSize;
                if (i == batchIndex && single.getPayloadSize() > 0) {
                    victim = payloadStart;
                }
                pos = payloadStart + single.getPayloadSize();
            }
            if (victim < 0 || victim >= end) {
                return false;
            }
        }
        buf.setByte(victim, ~buf.getByte(victim));
        if (recomputeChecksum && checksumAt >= 0) {
            CRC32C crc = new CRC32C();
            crc.update(buf.nioBuffer(checkedFrom, end - checkedFrom));
            buf.setInt(checksumAt, (int) crc.getValue());
        }
        return true;
    }

    @Override
    public void onPulsarCommand(BaseCommand command, ServerCnx cnx) {
        // no part in the damage
    }

    @Override
    public void onConnectionClosed(ServerCnx cnx) {
        // no part in the damage
    }

    @Override
    public void onWebserviceRequest(ServletRequest request) {
        // no part in the damage
    }

    @Override
    public void onWebserviceResponse(ServletRequest request, ServletResponse response) {
        // no part in the damage
    }

    @Override
    public void initialize(PulsarService pulsar) {
        LOG.info("{}: loaded (topic property {} names the message to deliver damaged)", NAME, PROPERTY);
    }

    @Override
    public void close() {
        // nothing held
    }
}
