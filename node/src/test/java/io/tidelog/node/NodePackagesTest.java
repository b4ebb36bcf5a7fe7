package io.tidelog.node;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/**
 * The node's packages are its parts, layered as {@code package-info} of {@code io.tidelog.node} describes: the
 * extensions and the chain that orders them on top, the WAL framework below them, the pchannel state, scanners and
 * retention below it, recovery's checkpoint types at the bottom. A part never reaches up, and no two parts need each
 * other.
 */
class NodePackagesTest {
    static final JavaClasses NODE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.tidelog.node");

    /** One slice per package of the node (the root package included, which a pattern slice would skip). */
    static final SliceAssignment BY_PACKAGE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            return c.getPackageName().startsWith("io.tidelog.node")
                    ? SliceIdentifier.of(c.getPackageName()) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the packages of io.tidelog.node";
        }
    };

    @Test
    void noTwoPackagesOfTheNodeDependOnEachOther() {
        slices().assignedFrom(BY_PACKAGE).should().beFreeOfCycles().check(NODE);
    }

    @Test
    void eachPartUsesOnlyThePartsBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("chain").definedBy("io.tidelog.node.extension")
                .layer("extensions").definedBy("io.tidelog.node.shard", "io.tidelog.node.txn")
                .layer("framework").definedBy("io.tidelog.node")
                .layer("parts").definedBy("io.tidelog.node.state", "io.tidelog.node.scan",
                        "io.tidelog.node.retention")
                .layer("recovery").definedBy("io.tidelog.node.recovery")
                .whereLayer("chain").mayNotBeAccessedByAnyLayer()
                .whereLayer("extensions").mayOnlyBeAccessedByLayers("chain")
                .whereLayer("framework").mayOnlyBeAccessedByLayers("chain", "extensions")
                .whereLayer("parts").mayOnlyBeAccessedByLayers("framework", "chain", "extensions")
                .check(NODE);
    }
}
