package io.tidelog.parquet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import io.tidelog.message.Vchannels;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The manifest of flushed historical data: a small JSON object written after the files it lists, so that
 * a reader who finds it may trust every file it names (present, of that size and checksum). Either the
 * data of one sealed segment ({@link Kind#SEGMENT}) or a delete log of one vchannel ({@link Kind#DELETES}).
 *
 * <p><b>JSON form</b> (format {@value #FORMAT}), keys always in this order, on one line:
 * <pre>
 * {"format": 1, "kind": "segment", "segmentId": 7, "collectionId": 1001, "partitionId": 2001,
 *  "vchannel": "p0_1001v0", "schemaVersion": 2, "rows": 3, "minTimeTick": 100, "maxTimeTick": 180,
 *  "files": [{"key": "collections/1001/segments/7/data.parquet", "bytes": 4096, "rows": 3,
 *             "checksum": "crc32c:0a1b2c3d", "role": "data"}]}
 * </pre>
 * Numbers are JSON integers, read exactly (64-bit). A delete log's manifest has {@code segmentId} and
 * {@code partitionId} 0 (deletes apply to every partition) and files of role {@code deletes}; a segment's
 * has positive ids and files of role {@code data}. {@code rows} is the sum of the files' rows, at least 1.
 * A change of the form, even an added key, increases {@code format}; a reader rejects a format it does not
 * know, and any unknown key.
 *
 * @param format        the form of this manifest: {@value #FORMAT}
 * @param kind          what the files hold
 * @param segmentId     the segment (0 for a delete log)
 * @param collectionId  the collection
 * @param partitionId   the segment's partition (0 for a delete log)
 * @param vchannel      the vchannel the rows were read from
 * @param schemaVersion the collection schema version the files were written with
 * @param rows          rows (of a delete log: deleted keys) in all files
 * @param minTimeTick   the smallest time tick of any row
 * @param maxTimeTick   the largest time tick of any row
 * @param files         the files, in row order
 */
public record SegmentManifest(int format, Kind kind, long segmentId, long collectionId, long partitionId,
                              String vchannel, int schemaVersion, long rows, long minTimeTick, long maxTimeTick,
                              List<FileEntry> files) {
    /** The manifest form this class reads and writes. */
    public static final int FORMAT = 1;

    private static final Set<String> KEYS = Set.of("format", "kind", "segmentId", "collectionId", "partitionId",
            "vchannel", "schemaVersion", "rows", "minTimeTick", "maxTimeTick", "files");
    private static final Set<String> FILE_KEYS = Set.of("key", "bytes", "rows", "checksum", "role");
    private static final Pattern CHECKSUM = Pattern.compile(Pattern.quote(FileSummary.CRC32C_PREFIX) + "[0-9a-f]{8}");

    /** What a manifest's files hold. */
    public enum Kind {
        SEGMENT, DELETES;

        /** The name in JSON. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What one file of a manifest holds. */
    public enum Role {
        DATA, DELETES;

        /** The name in JSON. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One file of a manifest.
     *
     * @param key      its object store key
     * @param bytes    its size
     * @param rows     its rows
     * @param checksum its checksum, {@code crc32c:} and eight lower-case hex digits ({@link FileSummary#checksum()})
     * @param role     what it holds
     */
    public record FileEntry(String key, long bytes, long rows, String checksum, Role role) {
        /** @throws StreamingException {@code INVALID_ARGUMENT} naming the problem */
        public FileEntry {
            if (key == null || key.isEmpty() || key.startsWith("/")) {
                throw StreamingException.invalidArgument("a manifest file needs a relative key, got " + quote(key));
            }
            if (bytes < 1 || rows < 1) {
                throw StreamingException.invalidArgument("file " + quote(key) + " needs bytes >= 1 and rows >= 1, got "
                        + bytes + " and " + rows);
            }
            if (checksum == null || !CHECKSUM.matcher(checksum).matches()) {
                throw StreamingException.invalidArgument("file " + quote(key)
                        + " needs a checksum crc32c:<8 lower-case hex digits>, got " + quote(checksum));
            }
            Objects.requireNonNull(role, "role");
        }

        /** The entry of a file a writer summarized. */
        public static FileEntry of(String key, FileSummary summary, Role role) {
            return new FileEntry(key, summary.bytes(), summary.rows(), summary.checksum(), role);
        }
    }

    /**
     * Checks the invariants of the class comment.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} naming the first problem
     */
    public SegmentManifest {
        Objects.requireNonNull(kind, "kind");
        files = List.copyOf(files);
        if (format != FORMAT) {
            throw StreamingException.invalidArgument("manifest format " + format + " is not supported: this build"
                    + " reads and writes format " + FORMAT);
        }
        if (collectionId < 1) {
            throw StreamingException.invalidArgument("collectionId must be positive, got " + collectionId);
        }
        boolean segment = kind == Kind.SEGMENT;
        if (segment ? segmentId < 1 || partitionId < 1 : segmentId != 0 || partitionId != 0) {
            throw StreamingException.invalidArgument("a " + kind.jsonName() + " manifest needs segmentId and"
                    + " partitionId " + (segment ? "positive" : "0") + ", got " + segmentId + " and " + partitionId);
        }
        if (vchannel == null || !Vchannels.isValidVchannel(vchannel)) {
            throw StreamingException.invalidArgument("vchannel " + quote(vchannel) + " is not a vchannel name");
        }
        if (schemaVersion < 0 || minTimeTick < 0 || maxTimeTick < minTimeTick) {
            throw StreamingException.invalidArgument("needs schemaVersion >= 0 and 0 <= minTimeTick <= maxTimeTick,"
                    + " got " + schemaVersion + ", " + minTimeTick + " and " + maxTimeTick);
        }
        checkFiles(kind, rows, files);
    }

    private static void checkFiles(Kind kind, long rows, List<FileEntry> files) {
        if (files.isEmpty()) {
            throw StreamingException.invalidArgument("a manifest lists at least one file");
        }
        Role role = kind == Kind.SEGMENT ? Role.DATA : Role.DELETES;
        long sum = 0;
        for (FileEntry f : files) {
            if (f.role() != role) {
                throw StreamingException.invalidArgument("file " + quote(f.key()) + " has role " + f.role().jsonName()
                        + ", a " + kind.jsonName() + " manifest lists only " + role.jsonName() + " files");
            }
            sum += f.rows();
        }
        if (rows != sum) {
            throw StreamingException.invalidArgument("rows is " + rows + " but the files hold " + sum);
        }
    }

    /** The manifest of a segment written to one file ({@link SegmentParquetWriter}), stored under {@code key}. */
    public static SegmentManifest ofSegment(SealedSegment segment, int schemaVersion, String key, FileSummary file) {
        return new SegmentManifest(FORMAT, Kind.SEGMENT, segment.segmentId(), segment.collectionId(),
                segment.partitionId(), segment.vchannel(), schemaVersion, file.rows(), file.minTimeTick(),
                file.maxTimeTick(), List.of(FileEntry.of(key, file, Role.DATA)));
    }

    /** The manifest of one delete log ({@link DeleteLogWriter}), stored under {@code key}. */
    public static SegmentManifest ofDeletes(long collectionId, String vchannel, int schemaVersion, String key,
                                            FileSummary file) {
        return new SegmentManifest(FORMAT, Kind.DELETES, 0, collectionId, 0, vchannel, schemaVersion, file.rows(),
                file.minTimeTick(), file.maxTimeTick(), List.of(FileEntry.of(key, file, Role.DELETES)));
    }

    /** This manifest in the class comment's JSON form: one line, keys in a fixed order. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", format);
        o.addProperty("kind", kind.jsonName());
        o.addProperty("segmentId", segmentId);
        o.addProperty("collectionId", collectionId);
        o.addProperty("partitionId", partitionId);
        o.addProperty("vchannel", vchannel);
        o.addProperty("schemaVersion", schemaVersion);
        o.addProperty("rows", rows);
        o.addProperty("minTimeTick", minTimeTick);
        o.addProperty("maxTimeTick", maxTimeTick);
        JsonArray a = new JsonArray(files.size());
        for (FileEntry f : files) {
            JsonObject j = new JsonObject();
            j.addProperty("key", f.key());
            j.addProperty("bytes", f.bytes());
            j.addProperty("rows", f.rows());
            j.addProperty("checksum", f.checksum());
            j.addProperty("role", f.role().jsonName());
            a.add(j);
        }
        o.add("files", a);
        return o.toString();
    }

    /**
     * The manifest written in {@code json} ({@link #toJson()}'s form). Parsing is strict: standard JSON
     * only, every key present, no unknown key, integers only where numbers go.
     *
     * @throws StreamingException {@code DATA_CORRUPTED} naming the problem: the text is not JSON, a key is
     *         missing, unknown or of the wrong type, the format is not {@value #FORMAT}, or an invariant of
     *         the class comment fails
     */
    public static SegmentManifest fromJson(String json) {
        try {
            JsonObject o = object(parse(json), "the manifest");
            rejectUnknownKeys(o, KEYS, "the manifest");
            int format = (int) integer(o, "format", Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (format != FORMAT) {
                throw corrupted("format " + format + " is not supported: this build reads format " + FORMAT);
            }
            JsonArray array = required(o, "files").isJsonArray() ? o.getAsJsonArray("files") : null;
            if (array == null) {
                throw corrupted("\"files\" must be an array");
            }
            FileEntry[] files = new FileEntry[array.size()];
            for (int i = 0; i < files.length; i++) {
                files[i] = file(array.get(i), i);
            }
            return new SegmentManifest(format, kind(string(o, "kind")), integer(o, "segmentId"),
                    integer(o, "collectionId"), integer(o, "partitionId"), string(o, "vchannel"),
                    (int) integer(o, "schemaVersion", Integer.MIN_VALUE, Integer.MAX_VALUE), integer(o, "rows"),
                    integer(o, "minTimeTick"), integer(o, "maxTimeTick"), List.of(files));
        } catch (StreamingException e) {
            if (e.code() == ErrorCode.DATA_CORRUPTED) {
                throw e;
            }
            throw corrupted(e.detail());
        }
    }

    private static FileEntry file(JsonElement e, int index) {
        String where = "files[" + index + "]";
        JsonObject o = object(e, where);
        rejectUnknownKeys(o, FILE_KEYS, where);
        String role = string(o, "role");
        Role r = role.equals(Role.DATA.jsonName()) ? Role.DATA : role.equals(Role.DELETES.jsonName()) ? Role.DELETES : null;
        if (r == null) {
            throw corrupted(where + ": role " + quote(role) + " is neither \"data\" nor \"deletes\"");
        }
        return new FileEntry(string(o, "key"), integer(o, "bytes"), integer(o, "rows"), string(o, "checksum"), r);
    }

    private static Kind kind(String name) {
        for (Kind k : Kind.values()) {
            if (k.jsonName().equals(name)) {
                return k;
            }
        }
        throw corrupted("kind " + quote(name) + " is neither \"segment\" nor \"deletes\"");
    }

    private static JsonElement parse(String json) {
        if (json == null || json.isBlank()) {
            throw corrupted("the manifest is empty");
        }
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        JsonElement e;
        try {
            e = JsonParser.parseReader(reader);
        } catch (JsonParseException ex) {
            throw corrupted("not valid JSON: " + gsonProblem(ex.getCause() != null ? ex.getCause() : ex));
        }
        try {
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw corrupted("text after the manifest's JSON object");
            }
        } catch (IOException ex) {
            throw corrupted("text after the manifest's JSON object: " + gsonProblem(ex));
        }
        return e;
    }

    /** Gson's message without its advice to parse leniently and its link: the first line, from the place on. */
    private static String gsonProblem(Throwable t) {
        String m = String.valueOf(t.getMessage()).lines().findFirst().orElse("");
        String advice = "to accept malformed JSON ";
        int at = m.indexOf(advice);
        return at < 0 ? m : "malformed JSON " + m.substring(at + advice.length());
    }

    private static JsonObject object(JsonElement e, String what) {
        if (!e.isJsonObject()) {
            throw corrupted(what + " is not a JSON object");
        }
        return e.getAsJsonObject();
    }

    private static JsonElement required(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null) {
            throw corrupted("\"" + key + "\" is missing");
        }
        return e;
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = required(o, key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw corrupted("\"" + key + "\" must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static long integer(JsonObject o, String key) {
        return integer(o, key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private static long integer(JsonObject o, String key, long min, long max) {
        JsonElement e = required(o, key);
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            try {
                long v = Long.parseLong(e.getAsJsonPrimitive().getAsString());
                if (v >= min && v <= max) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // not an integer literal, or out of range: reported below
            }
        }
        throw corrupted("\"" + key + "\" must be an integer in [" + min + ", " + max + "], got " + e);
    }

    private static void rejectUnknownKeys(JsonObject o, Set<String> known, String where) {
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw corrupted(where + " has unknown key \"" + e.getKey() + "\"; known: " + new TreeSet<>(known));
            }
        }
    }

    private static StreamingException corrupted(String problem) {
        return StreamingException.corrupted("bad manifest: " + problem);
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }
}
