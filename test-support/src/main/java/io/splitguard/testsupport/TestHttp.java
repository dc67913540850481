package io.splitguard.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The one HTTP client of the tests: plain {@code java.net.http}, a base URI, string bodies, headers
 * as name/value pairs, bounded connect and request timeouts (a hung server fails the test instead
 * of stalling it).
 */
public final class TestHttp {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final URI base;

    public TestHttp(URI base) {
        this.base = base;
    }

    /** A client of {@code http://127.0.0.1:port}; paths are absolute ({@code /health/ready}). */
    public static TestHttp localhost(int port) {
        return new TestHttp(URI.create("http://127.0.0.1:" + port + "/"));
    }

    public URI base() {
        return base;
    }

    /** @param headers name, value pairs */
    public HttpResponse<String> get(String path, String... headers) {
        return send(request(path, headers).GET());
    }

    /** @param headers name, value pairs */
    public HttpResponse<String> post(String path, byte[] body, String... headers) {
        return postAsync(path, body, headers).join();
    }

    /** @param headers name, value pairs */
    public HttpResponse<String> post(String path, String body, String... headers) {
        return post(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
    }

    /** @param headers name, value pairs */
    public CompletableFuture<HttpResponse<String>> postAsync(String path, byte[] body, String... headers) {
        HttpRequest request = request(path, headers)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Any method, e.g. {@code PUT} or {@code DELETE}; {@code body} may be null. */
    public HttpResponse<String> send(String method, String path, byte[] body, String... headers) {
        HttpRequest.BodyPublisher publisher =
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body);
        return send(request(path, headers).method(method, publisher));
    }

    private HttpRequest.Builder request(String path, String... headers) {
        String absolute = path.startsWith("/") ? path : "/" + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(absolute)).timeout(REQUEST_TIMEOUT);
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                .join();
    }
}
