package io.tidelog.flush;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flush module's one door into the node: it is a {@code WalExtension} and an observer of the pchannel state,
 * and it reaches nothing else of the node (no WAL to read, no shard or transaction internals, no meta store). The
 * Maven enforcer keeps concrete backends out of the module; these rules keep node internals out of its classes.
 */
class FlushModuleBoundaryTest {
    /** The node's extension SPI and its log-derived state: what an extension may use. */
    static final Set<String> NODE_API = Set.of("io.tidelog.node.WalExtension", "io.tidelog.node.AppendInterceptor",
            "io.tidelog.node.AppendResult", "io.tidelog.node.Checkpoint", "io.tidelog.node.ExtensionState",
            "io.tidelog.node.PchannelState", "io.tidelog.node.CollectionShard");

    static final DescribedPredicate<JavaClass> NODE_INTERNALS = new DescribedPredicate<>(
            "are classes of the node other than its extension SPI and the pchannel state " + NODE_API) {
        @Override
        public boolean test(JavaClass c) {
            String name = c.getName();
            if (!name.startsWith("io.tidelog.node.")) {
                return false;
            }
            int nested = name.indexOf('$');
            return !NODE_API.contains(nested < 0 ? name : name.substring(0, nested));
        }
    };

    @Test
    void theFlushModuleUsesTheNodeOnlyThroughTheExtensionSpiAndThePchannelState() {
        JavaClasses flush = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.tidelog.flush");
        noClasses().should().dependOnClassesThat(NODE_INTERNALS).check(flush);
    }

    @Test
    void theFlushModuleReadsNoLogAndNoMetaStoreOfItsOwn() {
        JavaClasses flush = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.tidelog.flush");
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.tidelog.wal..", "io.tidelog.meta..")
                .check(flush);
    }
}
