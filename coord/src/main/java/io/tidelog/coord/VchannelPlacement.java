package io.tidelog.coord;

import io.tidelog.message.Vchannels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the shards of a new collection go: shard {@code i} becomes the vchannel
 * {@code <pchannel>_<collectionId>v<i>} on the pchannel that, at that moment, has the fewest vchannels,
 * preferring pchannels that hold no other shard of this collection (so a collection with at most as many
 * shards as there are pchannels has each shard on its own pchannel), ties broken by the pchannels' order.
 * Deterministic: the same counts give the same placement.
 */
final class VchannelPlacement {
    private VchannelPlacement() {
    }

    /**
     * @param pchannels the cluster's pchannels, in order
     * @param existing  the vchannels of every collection that exists (in any state)
     * @return the new collection's vchannels, shard 0 first
     */
    static List<String> place(List<String> pchannels, List<String> existing, long collectionId, int shards) {
        Map<String, Integer> counts = counts(pchannels, existing);
        Set<String> used = new HashSet<>();
        List<String> out = new ArrayList<>(shards);
        for (int shard = 0; shard < shards; shard++) {
            String best = null;
            for (String p : pchannels) {
                if (best == null || better(p, best, counts, used)) {
                    best = p;
                }
            }
            counts.merge(best, 1, Integer::sum);
            used.add(best);
            out.add(Vchannels.collectionVchannel(best, collectionId, shard));
        }
        return out;
    }

    private static boolean better(String p, String best, Map<String, Integer> counts, Set<String> used) {
        boolean pUsed = used.contains(p);
        boolean bestUsed = used.contains(best);
        if (pUsed != bestUsed) {
            return !pUsed;
        }
        return counts.get(p) < counts.get(best);
    }

    /** Vchannels per pchannel (every pchannel present, zero or more), in pchannel order. */
    static Map<String, Integer> counts(List<String> pchannels, List<String> vchannels) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        pchannels.forEach(p -> counts.put(p, 0));
        for (String v : vchannels) {
            counts.computeIfPresent(Vchannels.pchannelOf(v), (p, n) -> n + 1);
        }
        return counts;
    }
}
