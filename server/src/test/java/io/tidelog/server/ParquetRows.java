package io.tidelog.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A collection's flushed data as DuckDB reads it straight from the Parquet files under the collection's directory
 * of a {@code file:} object store ({@code collections/<id>}): an independent reader of what Tidelog wrote.
 */
public final class ParquetRows {
    private ParquetRows() {
    }

    /** Per id, how many rows the segment files of a collection hold. */
    public static Map<Long, Integer> countRows(Connection duck, Path collectionRoot) throws Exception {
        Map<Long, Integer> copies = new HashMap<>();
        if (!hasParquet(collectionRoot.resolve("segments"))) {
            return copies;
        }
        String glob = collectionRoot.resolve("segments").toString() + "/*/data.parquet";
        try (Statement s = duck.createStatement();
             ResultSet r = s.executeQuery("SELECT id, count(*) FROM read_parquet('" + glob + "') GROUP BY id")) {
            while (r.next()) {
                copies.put(r.getLong(1), r.getInt(2));
            }
        }
        return copies;
    }

    public static Set<Long> deletedKeys(Connection duck, Path collectionRoot) throws Exception {
        Set<Long> keys = new HashSet<>();
        if (!hasParquet(collectionRoot.resolve("deletes"))) {
            return keys;
        }
        String glob = collectionRoot.resolve("deletes").toString() + "/*/*.parquet";
        try (Statement s = duck.createStatement();
             ResultSet r = s.executeQuery("SELECT pk FROM read_parquet('" + glob + "')")) {
            while (r.next()) {
                keys.add(r.getLong(1));
            }
        }
        return keys;
    }

    public static boolean hasParquet(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.anyMatch(p -> p.toString().endsWith(".parquet"));
        }
    }
}
