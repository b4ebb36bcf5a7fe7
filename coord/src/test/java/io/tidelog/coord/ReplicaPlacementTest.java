package io.tidelog.coord;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.coord.ReplicaPlacement.Collection;
import io.tidelog.testing.Seeds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ReplicaPlacementTest {
    @RegisterExtension
    final Seeds seeds = new Seeds();

    static SortedMap<String, String> nodes(String... ids) {
        SortedMap<String, String> out = new TreeMap<>();
        for (String id : ids) {
            out.put(id, id + ":1");
        }
        return out;
    }

    static List<String> nodesOf(List<Replica> placement, String vchannel) {
        return placement.stream().filter(r -> r.vchannel().equals(vchannel)).map(Replica::nodeId).toList();
    }

    @Test
    void aCollectionOfOneReplicaHasNoneElsewhere() {
        List<Replica> placed = ReplicaPlacement.place(List.of(), List.of(new Collection(7, List.of("p-0_7v0"), 1)),
                Map.of("p-0", "n1"), nodes("n1", "n2"));
        assertThat(placed).isEmpty();
    }

    @Test
    void replicasGoToNodesOtherThanTheOwnerFewestReplicasFirstTiesByNodeId() {
        List<Collection> collections = List.of(new Collection(7, List.of("p-0_7v0", "p-1_7v1"), 2));
        List<Replica> placed = ReplicaPlacement.place(List.of(), collections, Map.of("p-0", "n1", "p-1", "n2"),
                nodes("n1", "n2", "n3"));
        assertThat(placed).containsExactly(new Replica("p-0_7v0", 7, "n2", "n2:1"),
                new Replica("p-1_7v1", 7, "n1", "n1:1"));
    }

    @Test
    void aNodeHoldingReplicasAlreadyIsChosenLast() {
        List<Collection> collections = List.of(new Collection(7, List.of("p-0_7v0"), 2),
                new Collection(8, List.of("p-0_8v0"), 2));
        List<Replica> placed = ReplicaPlacement.place(List.of(), collections, Map.of("p-0", "n1"),
                nodes("n1", "n2", "n3"));
        assertThat(nodesOf(placed, "p-0_7v0")).containsExactly("n2");
        assertThat(nodesOf(placed, "p-0_8v0")).containsExactly("n3");
    }

    @Test
    void aReplicaStaysWhereItIsWhileItsNodeLivesAndDoesNotOwnThePchannel() {
        List<Collection> collections = List.of(new Collection(7, List.of("p-0_7v0"), 2));
        List<Replica> before = List.of(new Replica("p-0_7v0", 7, "n3", "n3:1"));
        List<Replica> placed = ReplicaPlacement.place(before, collections, Map.of("p-0", "n1"), nodes("n1", "n2", "n3"));
        assertThat(placed).isEqualTo(before);
    }

    @Test
    void aReplicaWhoseNodeBecameTheOwnerMovesToAnotherNode() {
        List<Collection> collections = List.of(new Collection(7, List.of("p-0_7v0"), 2));
        List<Replica> before = List.of(new Replica("p-0_7v0", 7, "n2", "n2:1"));
        List<Replica> placed = ReplicaPlacement.place(before, collections, Map.of("p-0", "n2"), nodes("n2", "n3"));
        assertThat(placed).containsExactly(new Replica("p-0_7v0", 7, "n3", "n3:1"));
    }

    @Test
    void aReplicaWhoseNodeLeftMovesAndWithTooFewNodesAVchannelHasFewerReplicas() {
        List<Collection> collections = List.of(new Collection(7, List.of("p-0_7v0"), 3));
        List<Replica> before = List.of(new Replica("p-0_7v0", 7, "n2", "n2:1"), new Replica("p-0_7v0", 7, "n3", "n3:1"));
        List<Replica> placed = ReplicaPlacement.place(before, collections, Map.of("p-0", "n1"), nodes("n1", "n3", "n4"));
        assertThat(nodesOf(placed, "p-0_7v0")).containsExactly("n3", "n4");
        assertThat(ReplicaPlacement.place(placed, collections, Map.of("p-0", "n1"), nodes("n1", "n4")))
                .containsExactly(new Replica("p-0_7v0", 7, "n4", "n4:1"));
    }

    @Test
    void aVchannelWhosePchannelHasNoOwnerStillHasItsReplicas() {
        List<Replica> placed = ReplicaPlacement.place(List.of(), List.of(new Collection(7, List.of("p-0_7v0"), 2)),
                Map.of(), nodes("n1", "n2"));
        assertThat(nodesOf(placed, "p-0_7v0")).containsExactly("n1");
    }

    /**
     * Random clusters changing step by step: after every step each vchannel has min(R−1, live nodes − owner)
     * replicas, on distinct live nodes, never the owner, the same placement again for the same inputs, and a
     * replica whose node is still a candidate does not move.
     */
    @Test
    void randomChangesKeepEveryInvariantOfThePlacement() {
        Random random = seeds.random();
        List<Collection> collections = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            List<String> vchannels = new ArrayList<>();
            int shards = 1 + random.nextInt(3);
            for (int s = 0; s < shards; s++) {
                vchannels.add("p-" + random.nextInt(4) + "_" + c + "v" + s);
            }
            collections.add(new Collection(c, vchannels, 1 + random.nextInt(3)));
        }
        List<Replica> placement = List.of();
        for (int step = 0; step < 200; step++) {
            SortedMap<String, String> live = new TreeMap<>();
            for (int n = 0; n < 5; n++) {
                if (random.nextInt(4) > 0) {
                    live.put("n" + n, "n" + n + ":1");
                }
            }
            Map<String, String> owners = new HashMap<>();
            for (int p = 0; p < 4; p++) {
                if (!live.isEmpty() && random.nextInt(5) > 0) {
                    owners.put("p-" + p, new ArrayList<>(live.keySet()).get(random.nextInt(live.size())));
                }
            }
            List<Replica> next = ReplicaPlacement.place(placement, collections, owners, live);
            assertThat(ReplicaPlacement.place(placement, collections, owners, live)).isEqualTo(next);
            for (Collection c : collections) {
                for (String v : c.vchannels()) {
                    String owner = owners.get(v.substring(0, v.indexOf('_')));
                    List<String> on = nodesOf(next, v);
                    int candidates = live.size() - (owner != null ? 1 : 0);
                    assertThat(on).as("step %d, %s", step, v).hasSize(Math.min(c.replicas() - 1, candidates))
                            .doesNotHaveDuplicates().doesNotContain(owner == null ? "-" : owner);
                    assertThat(live.keySet()).containsAll(on);
                    Set<String> stayed = new HashSet<>(nodesOf(placement, v));
                    stayed.retainAll(live.keySet());
                    stayed.remove(owner);
                    assertThat(on).as("step %d, %s keeps its replicas", step, v).containsAll(stayed);
                }
            }
            placement = next;
        }
    }
}
