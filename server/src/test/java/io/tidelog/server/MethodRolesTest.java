package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors;
import io.tidelog.proto.CollectionsProto;
import io.tidelog.proto.QueryProto;
import io.tidelog.proto.StreamingProto;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one table of the role each RPC needs: complete, and closed by default. */
class MethodRolesTest {
    /** Every method of every service of every proto file with services, as gRPC names them. */
    static Set<String> everyMethodOfEveryService() {
        Set<String> out = new HashSet<>();
        for (Descriptors.FileDescriptor f : List.of(StreamingProto.getDescriptor(), CollectionsProto.getDescriptor(),
                QueryProto.getDescriptor())) {
            for (Descriptors.ServiceDescriptor s : f.getServices()) {
                for (Descriptors.MethodDescriptor m : s.getMethods()) {
                    out.add(s.getFullName() + "/" + m.getName());
                }
            }
        }
        return out;
    }

    @Test
    void everyMethodOfEveryServiceIsInTheTableAndNothingElse() {
        Set<String> all = everyMethodOfEveryService();
        assertThat(all).hasSizeGreaterThan(20);
        assertThat(MethodRoles.all().keySet()).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void aMethodNotInTheTableNeedsAdmin() {
        assertThat(MethodRoles.needed("tidelog.v1.StreamingNode/SomethingNew")).isEqualTo(Role.ADMIN);
    }

    @Test
    void readersConsumeAndQueryWritersProduceAndOnlyAdminsChangeCollectionsFlushDrainOrControlNodes() {
        assertThat(MethodRoles.needed("tidelog.v1.StreamingNode/Consume")).isEqualTo(Role.READ);
        assertThat(MethodRoles.needed("tidelog.v1.QueryService/Search")).isEqualTo(Role.READ);
        assertThat(MethodRoles.needed("tidelog.v1.Coordinator/GetStatus")).isEqualTo(Role.READ);
        assertThat(MethodRoles.needed("tidelog.v1.StreamingNode/Produce")).isEqualTo(Role.WRITE);
        for (String admin : List.of("tidelog.v1.CollectionService/CreateCollection",
                "tidelog.v1.CollectionService/DropCollection", "tidelog.v1.CollectionService/Flush",
                "tidelog.v1.Coordinator/DrainNode", "tidelog.v1.NodeControl/Assign",
                "tidelog.v1.Coordinator/AllocateTimestamps")) {
            assertThat(MethodRoles.needed(admin)).as(admin).isEqualTo(Role.ADMIN);
        }
    }

    @Test
    void eachRoleIncludesTheOnesBelowIt() {
        assertThat(Role.ADMIN.allows(Role.WRITE)).isTrue();
        assertThat(Role.WRITE.allows(Role.READ)).isTrue();
        assertThat(Role.READ.allows(Role.WRITE)).isFalse();
        assertThat(Role.WRITE.allows(Role.ADMIN)).isFalse();
    }
}
