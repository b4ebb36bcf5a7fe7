package io.tidelog.server;

import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tidelog standalone}: the coordinator and one node in this process, until SIGTERM or Ctrl-C. */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = {"Runs Tidelog in one process: coordinator and one streaming node, the embedded meta store "
                + "and the local WAL under one data directory.",
            "Exit status: 0 after a clean shutdown, 2 for bad configuration, 1 for any other failure."})
public final class StandaloneCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", description = "gRPC port (default: 19530; 0 picks a free one).")
    Integer port;

    @Option(names = "--pchannels", description = "Number of pchannels (default: 16; fixed for the life of the data).")
    Integer pchannels;

    @Option(names = "--pchannel-prefix", description = "pchannel name prefix (default: pchannel).")
    String pchannelPrefix;

    @Option(names = "--object-store", description = "Where flushed segments go: file:DIR or s3://BUCKET/PREFIX"
            + " (default: file:<data dir>/objects; S3 endpoint and credentials from objectstore.s3.* keys or"
            + " TIDELOG_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).")
    String objectStore;

    @Option(names = "--config-file", description = "A properties file of configuration keys.")
    Path configFile;

    @Option(names = {"-c", "--config"}, description = "A configuration key, KEY=VALUE (repeatable; wins over the file).")
    Map<String, String> config = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> p = new HashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (InputStream in = Files.newInputStream(configFile)) {
                file.load(in);
            } catch (IOException e) {
                System.err.println("error: INVALID_ARGUMENT: cannot read " + configFile + ": " + e.getMessage());
                return 2;
            }
            file.stringPropertyNames().forEach(k -> p.put(k, file.getProperty(k)));
        }
        p.putAll(config);
        if (port != null) {
            p.put(ServerConfig.PORT, port.toString());
        }
        if (pchannels != null) {
            p.put("coord.pchannel.count", pchannels.toString());
        }
        if (objectStore != null) {
            p.put(StandaloneServer.OBJECT_STORE_URI, objectStore);
        }
        if (pchannelPrefix != null) {
            p.put("coord.pchannel.prefix", pchannelPrefix);
        }
        StandaloneServer server;
        try {
            server = StandaloneServer.start(dataDir, p);
        } catch (StreamingException e) {
            System.err.println("error: " + e.getMessage());
            return e.code() == io.tidelog.common.ErrorCode.INVALID_ARGUMENT ? 2 : 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.err.println("tidelog: shutting down");
            server.close();
            stopped.countDown();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("Tidelog standalone listening on " + server.address() + " (data dir "
                + dataDir.toAbsolutePath() + ")");
        System.out.flush();
        server.awaitTermination();
        stopped.await();
        return 0;
    }
}
