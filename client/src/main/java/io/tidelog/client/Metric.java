package io.tidelog.client;

/** How a vector search scores a row against the query vector. */
public enum Metric {
    /** Squared Euclidean distance; smaller is better. */
    L2(io.tidelog.proto.Metric.L2, true),
    /** Inner product; larger is better. */
    IP(io.tidelog.proto.Metric.IP, false),
    /** Cosine similarity; larger is better. */
    COSINE(io.tidelog.proto.Metric.COSINE, false);

    private final io.tidelog.proto.Metric proto;
    private final boolean smallerIsBetter;

    Metric(io.tidelog.proto.Metric proto, boolean smallerIsBetter) {
        this.proto = proto;
        this.smallerIsBetter = smallerIsBetter;
    }

    io.tidelog.proto.Metric toProto() {
        return proto;
    }

    /** Whether a smaller score ranks first. */
    public boolean smallerIsBetter() {
        return smallerIsBetter;
    }
}
