package io.tidelog.coord;

import io.tidelog.common.Names;
import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Configuration of the streaming coordinator; each key beside its default, validated once.
 *
 * @param pchannelPrefix {@code coord.pchannel.prefix} (pchannel): pchannels are named {@code <prefix>-<n>}
 * @param pchannelCount  {@code coord.pchannel.count} (16): how many pchannels the cluster has; fixed
 *                       for the life of the data
 */
public record CoordConfig(String pchannelPrefix, int pchannelCount) {
    public static final String PREFIX = "coord.";
    public static final String PCHANNEL_PREFIX = PREFIX + "pchannel.prefix";
    public static final String PCHANNEL_COUNT = PREFIX + "pchannel.count";

    public CoordConfig {
        if (pchannelPrefix.contains("_")) {
            throw StreamingException.invalidArgument(PCHANNEL_PREFIX + " may not contain '_': " + pchannelPrefix);
        }
        Names.validatePchannel(pchannelPrefix + "-" + (pchannelCount - 1));
    }

    public static CoordConfig from(Map<String, String> properties) {
        Settings s = new Settings(properties);
        CoordConfig c = new CoordConfig(s.string(PCHANNEL_PREFIX, "pchannel"), s.integer(PCHANNEL_COUNT, 16, 1, 4096));
        s.rejectUnknown(PREFIX);
        return c;
    }

    /** {@code <prefix>-0} to {@code <prefix>-<count-1>}. */
    public List<String> pchannels() {
        List<String> out = new ArrayList<>(pchannelCount);
        for (int i = 0; i < pchannelCount; i++) {
            out.add(pchannelPrefix + "-" + i);
        }
        return out;
    }
}
