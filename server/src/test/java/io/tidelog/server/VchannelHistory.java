package io.tidelog.server;

import io.tidelog.client.ConsumerOptions;
import io.tidelog.client.ResumableConsumer;
import io.tidelog.client.StreamingClient;
import io.tidelog.message.ImmutableMessage;
import io.tidelog.message.Vchannels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The whole history of a vchannel, read without waiting for silence: a RAW marker is appended to another
 * vchannel of the same pchannel, and the pchannel is read from the start up to the marker. Every message
 * of the vchannel acknowledged before the marker lies before it in the pchannel's order.
 */
final class VchannelHistory {
    private VchannelHistory() {
    }

    static List<ImmutableMessage> of(StreamingClient client, String vchannel) {
        String pchannel = Vchannels.pchannelOf(vchannel);
        String marker = "end-" + UUID.randomUUID();
        client.appendRawBlocking(pchannel + "_history-marker", marker.getBytes(StandardCharsets.UTF_8));
        List<ImmutableMessage> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (ResumableConsumer c = client.consumer(ConsumerOptions.pchannel(pchannel))) {
            while (System.nanoTime() < deadline) {
                ImmutableMessage m = c.poll(Duration.ofSeconds(1));
                if (m == null) {
                    continue;
                }
                if (m.payload().toStringUtf8().equals(marker)) {
                    return out;
                }
                if (m.vchannel().equals(vchannel)) {
                    out.add(m);
                }
            }
        }
        throw new AssertionError("the marker on " + pchannel + " never arrived");
    }
}
