package io.tidelog.wal.pulsar;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.tidelog.common.ErrorCode;
import io.tidelog.common.StreamingException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/**
 * The few calls of the brokers' admin REST API the backend makes (no admin client library: four requests do not
 * justify its dependencies). Every request has the configured deadline. Thread-safe.
 */
final class AdminRest {
    private final PulsarWalConfig config;
    private final HttpClient http;

    AdminRest(PulsarWalConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder().connectTimeout(config.requestTimeout()).build();
    }

    /** The names of the topic's subscriptions, or empty if the topic does not exist. */
    Optional<JsonElement> subscriptions(String pchannel) {
        return get(config.adminPath(pchannel) + "/subscriptions", "list the subscriptions of pchannel " + pchannel);
    }

    /** The topic's statistics ({@code storageSize} among them), or empty if the topic does not exist. */
    Optional<JsonElement> stats(String pchannel) {
        return get(config.adminPath(pchannel) + "/stats", "read the statistics of pchannel " + pchannel);
    }

    /**
     * Moves the subscription {@code subscription} of the pchannel's topic so that the entry {@code (ledger, entry)} is
     * the first one it has not consumed (its mark-delete position is the entry before). Done by the broker alone: no
     * consumer is attached, so no connection of the data path is touched (seeking through a consumer makes the broker
     * disconnect it, and closing it while it reconnects made the client drop the whole connection, every producer on
     * it resending its window). {@code NOT_FOUND} if the topic or the subscription is missing.
     */
    void resetCursor(String pchannel, String subscription, long ledger, long entry) {
        String what = "move the subscription " + subscription + " of pchannel " + pchannel + " to entry " + ledger
                + ":" + entry;
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(config.adminPath(pchannel) + "/subscription/"
                        + java.net.URLEncoder.encode(subscription, java.nio.charset.StandardCharsets.UTF_8)
                        + "/resetcursor"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ledgerId\":" + ledger + ",\"entryId\":" + entry + "}")),
                what);
        if (r.statusCode() == 404) {
            throw new StreamingException(ErrorCode.NOT_FOUND, "cannot " + what + ": " + r.body());
        }
    }

    /**
     * Asks the broker to delete now the ledgers every subscription has consumed (it otherwise does at its next
     * retention check, {@code retentionCheckIntervalInSeconds}).
     */
    void trim(String pchannel) {
        send(HttpRequest.newBuilder(uri(config.adminPath(pchannel) + "/trim"))
                .POST(HttpRequest.BodyPublishers.noBody()), "trim pchannel " + pchannel);
    }

    private Optional<JsonElement> get(String path, String what) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).GET(), what);
        return r.statusCode() == 404 ? Optional.empty() : Optional.of(JsonParser.parseString(r.body()));
    }

    private URI uri(String path) {
        return URI.create(config.adminUrl() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String what) {
        try {
            HttpResponse<String> r = http.send(request.timeout(config.requestTimeout()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2 && r.statusCode() != 404) {
                throw StreamingException.inner("cannot " + what + ": the admin API answered " + r.statusCode()
                        + " " + r.body(), null);
            }
            return r;
        } catch (java.net.http.HttpTimeoutException e) {
            throw new StreamingException(ErrorCode.TIMEOUT, "cannot " + what + ": no answer within "
                    + config.requestTimeout(), e);
        } catch (IOException e) {
            throw StreamingException.inner("cannot " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StreamingException.onShutdown("interrupted while trying to " + what);
        }
    }
}
