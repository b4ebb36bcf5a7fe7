package io.tidelog.objectstore.local;

import io.tidelog.common.Settings;
import io.tidelog.common.StreamingException;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the local-directory store, validated once.
 *
 * @param root the directory holding the objects, absolute and normalised; from the URI
 *             ({@code file:DIR} relative to the working directory, or {@code file:/abs/dir}); created
 *             on open if missing. There are no {@code objectstore.file.*} keys yet; any such key is
 *             rejected so that a typo does not pass silently.
 */
public record DirectoryObjectStoreConfig(Path root) {
    public static final String SCHEME = "file";
    public static final String PREFIX = "objectstore.file.";

    public DirectoryObjectStoreConfig {
        root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The configuration for {@code uri} ({@code file:...}) and {@code settings}. */
    public static DirectoryObjectStoreConfig from(URI uri, Map<String, String> settings) {
        if (!SCHEME.equals(uri.getScheme())) {
            throw StreamingException.invalidArgument("not a file: URI: " + uri);
        }
        String authority = uri.getRawAuthority();
        if (authority != null && !authority.isEmpty() && !authority.equals("localhost")) {
            throw StreamingException.invalidArgument("file URI '" + uri
                    + "' names a host; a local directory is file:DIR or file:/abs/dir");
        }
        String path = uri.isOpaque() ? uri.getSchemeSpecificPart() : uri.getPath();
        if (path == null || path.isEmpty()) {
            throw StreamingException.invalidArgument("file URI '" + uri + "' names no directory");
        }
        Settings s = new Settings(settings);
        s.rejectUnknown(PREFIX);
        try {
            return new DirectoryObjectStoreConfig(Path.of(path));
        } catch (InvalidPathException e) {
            throw StreamingException.invalidArgument("file URI '" + uri + "' is not a path: " + e.getMessage());
        }
    }
}
