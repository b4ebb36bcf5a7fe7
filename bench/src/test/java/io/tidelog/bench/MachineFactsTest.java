package io.tidelog.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineFactsTest {
    private static final List<String> MOUNTS = List.of(
            "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
            "/dev/sda / ext4 rw,relatime,discard 0 0",
            "tmpfs /tmp tmpfs rw,nosuid,nodev 0 0",
            "/dev/sdb /data xfs rw,noatime 0 0",
            "/dev/sdc /data/my\\040disk ext4 rw,relatime 0 0");

    @Test
    void theMountWithTheLongestMatchingMountPointHoldsThePath() {
        assertThat(MachineFacts.mountOf(Path.of("/data/wal/ch-1"), MOUNTS)).get()
                .isEqualTo(new MachineFacts.Mount("/dev/sdb", "/data", "xfs", "rw,noatime"));
        assertThat(MachineFacts.mountOf(Path.of("/var/lib"), MOUNTS)).get()
                .extracting(MachineFacts.Mount::type).isEqualTo("ext4");
    }

    @Test
    void aMountPointMatchesWholePathNamesOnly() {
        assertThat(MachineFacts.mountOf(Path.of("/tmpx/file"), MOUNTS)).get()
                .extracting(MachineFacts.Mount::mountPoint).isEqualTo("/");
    }

    @Test
    void theLastOfTwoMountsOnTheSamePointWins() {
        List<String> stacked = List.of("/dev/sda / ext4 rw 0 0", "/dev/sdb /tmp ext4 rw 0 0",
                "tmpfs /tmp tmpfs rw,size=1g 0 0");
        assertThat(MachineFacts.mountOf(Path.of("/tmp/x"), stacked)).get()
                .extracting(MachineFacts.Mount::type).isEqualTo("tmpfs");
    }

    @Test
    void escapedBlanksInTheMountTableAreDecoded() {
        assertThat(MachineFacts.mountOf(Path.of("/data/my disk/wal"), MOUNTS)).get()
                .extracting(MachineFacts.Mount::mountPoint).isEqualTo("/data/my disk");
        assertThat(MachineFacts.unescape("a\\134b\\011c\\9")).isEqualTo("a\\b\tc\\9");
    }

    @Test
    void malformedLinesAreSkipped() {
        assertThat(MachineFacts.mountOf(Path.of("/x"), List.of("", "garbage", "/dev/sda / ext4 rw 0 0"))).get()
                .extracting(MachineFacts.Mount::device).isEqualTo("/dev/sda");
        assertThat(MachineFacts.mountOf(Path.of("/x"), List.of("garbage"))).isEmpty();
    }

    @Test
    void probeDescribesTheDirectoryItWasGiven(@TempDir Path dir) throws Exception {
        MachineFacts facts = MachineFacts.probe(dir);
        assertThat(facts.nproc()).isPositive();
        assertThat(facts.dir()).isEqualTo(dir.toRealPath());
        assertThat(facts.freeBytes()).isPositive();
        assertThat(facts.lines()).anySatisfy(l -> assertThat(l).startsWith("machine: nproc="))
                .anySatisfy(l -> assertThat(l).startsWith("dir:").contains(dir.toRealPath().toString()));
        String json = BenchJson.write(facts::writeJson);
        assertThat(json).startsWith("{\"nproc\":").contains("\"fs_type\":").endsWith("}");
    }
}
