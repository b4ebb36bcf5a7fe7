package io.tidelog.common;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A {@code host:port} address to dial: a DNS name or IPv4 address, or an IPv6 address in brackets
 * ({@code [::1]:19530}), and a port from 1 to 65535. The host is checked the way gRPC's DNS resolver reads
 * it (as the host of a URI authority), so an address accepted here never fails inside gRPC later.
 *
 * @param host the host as written (an IPv6 address keeps its brackets)
 * @param port 1 to 65535
 */
public record HostPort(String host, int port) {
    /** What a well-formed address looks like, for error messages. */
    public static final String FORM = "HOST:PORT, e.g. localhost:19530 or [::1]:19530";

    public HostPort {
        String problem = problem(host, port);
        if (problem != null) {
            throw StreamingException.invalidArgument(problem);
        }
    }

    /**
     * Reads {@code host:port}.
     *
     * @throws StreamingException {@code INVALID_ARGUMENT} saying what is wrong with {@code address}
     */
    public static HostPort parse(String address) {
        if (address == null || address.isBlank()) {
            throw StreamingException.invalidArgument("no address given: " + FORM);
        }
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw StreamingException.invalidArgument("'" + address + "' has no port: " + FORM);
        }
        String host = address.substring(0, colon);
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            throw StreamingException.invalidArgument("'" + address + "' is not " + FORM
                    + " (an IPv6 address goes in brackets)");
        }
        String port = address.substring(colon + 1);
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw StreamingException.invalidArgument("the port of '" + address + "' is not a number from 1 to 65535: '"
                    + port + "'");
        }
        try {
            return new HostPort(host, Integer.parseInt(port));
        } catch (StreamingException e) {
            throw StreamingException.invalidArgument("'" + address + "': " + e.detail());
        }
    }

    private static String problem(String host, int port) {
        if (port < 1 || port > 65535) {
            return "port " + port + " is out of range (1 to 65535)";
        }
        if (host == null || host.isEmpty()) {
            return "the host is empty";
        }
        try {
            URI uri = new URI("//" + host + ":" + port).parseServerAuthority();
            if (uri.getHost() == null || uri.getUserInfo() != null || uri.getPort() != port) {
                return "'" + host + "' is not a host name or IP address";
            }
        } catch (URISyntaxException e) {
            return "'" + host + "' is not a host name or IP address";
        }
        return null;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
