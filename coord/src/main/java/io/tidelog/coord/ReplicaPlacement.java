package io.tidelog.coord;

import io.tidelog.message.Vchannels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Where the replicas of each vchannel run: a pure function of the collections, the owners of the pchannels, the
 * live nodes and the previous placement, so that a replica stays where it is while it may.
 *
 * <pre>
 * for each collection with R &gt; 1, each of its vchannels:
 *   candidates = live nodes − the owner of the vchannel's pchannel        (the owner has the delegator already)
 *   want       = min(R − 1, |candidates|)
 * pass 1  keep each previous replica whose node is still a candidate      (up to want per vchannel)
 * pass 2  fill each vchannel up to want from the candidates it lacks,
 *         the node holding the fewest replicas first, ties by node id
 * </pre>
 *
 * <p>A replica whose node became the owner (a failover) or left is thereby moved; a node that joins takes only the
 * replicas that are missing (nothing is moved to even the load). Deterministic: the same inputs give the same
 * placement, ordered by collection id, then vchannel, then node id.
 */
public final class ReplicaPlacement {
    private ReplicaPlacement() {
    }

    /**
     * A collection as placement needs it.
     *
     * @param collectionId its id
     * @param vchannels    its vchannels
     * @param replicas     delegators per vchannel, the owner's included (1: no replica)
     */
    public record Collection(long collectionId, List<String> vchannels, int replicas) {
        public Collection {
            vchannels = List.copyOf(vchannels);
        }
    }

    /**
     * The placement.
     *
     * @param previous    the placement in force (empty at first)
     * @param collections every collection that takes queries
     * @param owners      the node of each pchannel that has one (being assigned included: the node it goes to)
     * @param liveNodes   the nodes that may run replicas, each with its address
     */
    public static List<Replica> place(List<Replica> previous, List<Collection> collections,
                                      Map<String, String> owners, SortedMap<String, String> liveNodes) {
        Map<String, Integer> load = new HashMap<>();
        liveNodes.keySet().forEach(n -> load.put(n, 0));
        Map<String, Set<String>> kept = new HashMap<>();
        Map<String, List<String>> previousByVchannel = new HashMap<>();
        for (Replica r : previous) {
            previousByVchannel.computeIfAbsent(r.vchannel(), v -> new ArrayList<>()).add(r.nodeId());
        }
        List<Collection> ordered = collections.stream().filter(c -> c.replicas() > 1)
                .sorted(Comparator.comparingLong(Collection::collectionId)).toList();
        for (Collection c : ordered) {
            for (String v : c.vchannels()) {
                Set<String> nodes = new LinkedHashSet<>();
                for (String n : previousByVchannel.getOrDefault(v, List.of())) {
                    if (nodes.size() < want(c, v, owners, liveNodes) && isCandidate(n, v, owners, liveNodes)
                            && nodes.add(n)) {
                        load.merge(n, 1, Integer::sum);
                    }
                }
                kept.put(v, nodes);
            }
        }
        List<Replica> out = new ArrayList<>();
        for (Collection c : ordered) {
            for (String v : c.vchannels()) {
                Set<String> nodes = kept.get(v);
                int want = want(c, v, owners, liveNodes);
                while (nodes.size() < want) {
                    String next = liveNodes.keySet().stream()
                            .filter(n -> isCandidate(n, v, owners, liveNodes) && !nodes.contains(n))
                            .min(Comparator.<String>comparingInt(load::get).thenComparing(Comparator.naturalOrder()))
                            .orElseThrow();
                    nodes.add(next);
                    load.merge(next, 1, Integer::sum);
                }
                nodes.stream().sorted().forEach(n -> out.add(new Replica(v, c.collectionId(), n, liveNodes.get(n))));
            }
        }
        return List.copyOf(out);
    }

    private static int want(Collection c, String vchannel, Map<String, String> owners,
                            SortedMap<String, String> liveNodes) {
        String owner = owners.get(Vchannels.pchannelOf(vchannel));
        int candidates = liveNodes.size() - (owner != null && liveNodes.containsKey(owner) ? 1 : 0);
        return Math.min(c.replicas() - 1, candidates);
    }

    private static boolean isCandidate(String node, String vchannel, Map<String, String> owners,
                                       SortedMap<String, String> liveNodes) {
        return liveNodes.containsKey(node) && !node.equals(owners.get(Vchannels.pchannelOf(vchannel)));
    }
}
