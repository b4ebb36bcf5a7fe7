package io.tidelog.parquet;

import io.tidelog.common.StreamingException;
import io.tidelog.proto.CollectionSchema;
import io.tidelog.proto.FieldSchema;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What to read from a segment file: some fields of a collection schema, the file's own or a newer one.
 * The columns come back in the schema's order, whatever the order of {@code fields}.
 *
 * <p>A newer schema (after AlterCollection) may have nullable fields the file lacks: they are read as null
 * in every row and reported in {@link SegmentRows#absentFields()}. A field of the file that the schema lacks is
 * not read. A field that both have must have the same type (and dimension) in both, and may not be
 * required in the schema while nullable in the file.
 *
 * @param schema the schema to read the file as
 * @param fields the names of the fields to read, each a field of {@code schema}
 */
public record SegmentProjection(CollectionSchema schema, Set<String> fields) {
    /** @throws StreamingException {@code INVALID_ARGUMENT} naming a field that is not in the schema */
    public SegmentProjection {
        Objects.requireNonNull(schema, "schema");
        fields = Set.copyOf(fields);
        Set<String> names = new HashSet<>();
        for (FieldSchema f : schema.getFieldsList()) {
            names.add(f.getName());
        }
        for (String name : fields) {
            if (!names.contains(name)) {
                throw StreamingException.invalidArgument("field '" + name + "' is not in the schema (version "
                        + schema.getVersion() + ") to read with; its fields are " + names);
            }
        }
    }

    /** Every field of {@code schema}. */
    public static SegmentProjection all(CollectionSchema schema) {
        return new SegmentProjection(schema, names(schema.getFieldsList()));
    }

    /** The fields {@code names} of {@code schema}. */
    public static SegmentProjection of(CollectionSchema schema, String... names) {
        return new SegmentProjection(schema, Set.of(names));
    }

    private static Set<String> names(List<FieldSchema> fields) {
        Set<String> names = new HashSet<>();
        for (FieldSchema f : fields) {
            names.add(f.getName());
        }
        return names;
    }
}
