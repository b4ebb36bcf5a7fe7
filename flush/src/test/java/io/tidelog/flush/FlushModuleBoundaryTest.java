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
    /** The node's extension SPI and the checkpoint types it speaks: what an extension may use of the node. */
    static final Set<String> NODE_API = Set.of("io.tidelog.node.WalExtension", "io.tidelog.node.AppendInterceptor",
            "io.tidelog.node.AppendResult", "io.tidelog.node.recovery.Checkpoint",
            "io.tidelog.node.recovery.ExtensionState");

    /** The log-derived pchannel state, which an extension may read whole. */
    static final String NODE_STATE = "io.tidelog.node.state";

    static final DescribedPredicate<JavaClass> NODE_INTERNALS = new DescribedPredicate<>(
            "are classes of the node other than its extension SPI " + NODE_API + " and the pchannel state ("
                    + NODE_STATE + ")") {
        @Override
        public boolean test(JavaClass c) {
            String name = c.getName();
            if (!name.startsWith("io.tidelog.node.") || c.getPackageName().equals(NODE_STATE)) {
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
