package io.meshwork.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin endpoint on real sockets: slow and idle clients cannot hold it, /debug answers only loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdminServerTest {

    private final List<Socket> sockets = new ArrayList<>();
    private AdminServer admin;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    private void start(Duration requestTimeout, int maxConnections) throws InterruptedException {
        admin = new AdminServer(new InetSocketAddress("127.0.0.1", 0), () -> true, List::of,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), requestTimeout, maxConnections).start();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", admin.port());
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    /** Sends {@code request} on a new connection and reads until the server closes it. */
    private String exchange(String request) throws IOException {
        Socket s = connect();
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    private static String get(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", headers) + "Connection: close\r\n\r\n";
    }

    /** True when the server closes the connection within {@code millis}. */
    private static boolean closedWithin(Socket s, long millis) throws IOException {
        s.setSoTimeout((int) millis);
        InputStream in = s.getInputStream();
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Test
    void twoClientsSendingHalfARequestLineDoNotBlockAThirdsReadiness() throws Exception {
        start(Duration.ofSeconds(10), 64);
        for (int i = 0; i < 2; i++) {
            connect().getOutputStream().write("GET /rea".getBytes(StandardCharsets.US_ASCII));
        }

        String response = exchange(get("/ready"));

        assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("ready\n");
    }

    @Test
    void aClientThatDoesNotFinishItsRequestIsCutAtTheRequestTimeout() throws Exception {
        start(Duration.ofMillis(300), 64);
        Socket slow = connect();
        slow.getOutputStream().write("GET /rea".getBytes(StandardCharsets.US_ASCII));
        Socket idle = connect();

        assertThat(closedWithin(slow, 5000)).as("half a request line is cut").isTrue();
        assertThat(closedWithin(idle, 5000)).as("a connection that sends nothing is cut").isTrue();
    }

    @Test
    void aKeptAliveConnectionIsCutWhenIdleAfterItsResponse() throws Exception {
        start(Duration.ofMillis(300), 64);
        Socket s = connect();
        s.getOutputStream().write("GET /ready HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[4096];
        int n = s.getInputStream().read(buf);
        assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200 OK");

        assertThat(closedWithin(s, 5000)).isTrue();
    }

    @Test
    void connectionsPastTheLimitAreClosedAndAdmittedOnesKeepBeingServed() throws Exception {
        start(Duration.ofSeconds(10), 3);
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(connect());
        }
        Socket extra = connect();
        assertThat(closedWithin(extra, 5000)).as("the fourth connection is closed").isTrue();

        held.get(0).getOutputStream().write(get("/ready").getBytes(StandardCharsets.US_ASCII));
        String admitted = new String(held.get(0).getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(admitted).startsWith("HTTP/1.1 200 OK");
        // The admitted one closed after its answer: room for one more.
        Thread.sleep(200);
        assertThat(exchange(get("/ready"))).startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        start(Duration.ofSeconds(10), 64);
        String responses = exchange("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
                + "GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n" + get("/ready"));

        assertThat(responses.indexOf("version=0.0.4")).isGreaterThan(0)
                .isLessThan(responses.indexOf("HTTP/1.1 404"));
        assertThat(responses.indexOf("HTTP/1.1 404")).isLessThan(responses.indexOf("ready\n"));
    }

    @Test
    void debugRefusesAForeignOriginOrHostAndAnswersTheCli() throws Exception {
        start(Duration.ofSeconds(10), 64);

        assertThat(exchange(get("/debug/proxies", "Origin: http://evil.example\r\n")))
                .startsWith("HTTP/1.1 403").contains("cross-origin");
        assertThat(exchange("GET /debug/proxies HTTP/1.1\r\nHost: evil.example:15014\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 403").contains("not evil.example:15014");
        assertThat(exchange(get("/debug/proxies", "Origin: http://localhost:15014\r\n")))
                .startsWith("HTTP/1.1 200").endsWith("[]\n");
        assertThat(exchange(get("/metrics", "Origin: http://evil.example\r\n"))).startsWith("HTTP/1.1 200");
    }

    @Test
    void debugRefusesACallerOffLoopback() {
        HttpHeaders headers = new DefaultHttpHeaders().set("Host", "127.0.0.1:15014");

        assertThat(DebugAccess.refusal(new InetSocketAddress("10.1.2.3", 40000), headers)).contains("loopback callers only");
        assertThat(DebugAccess.refusal(new InetSocketAddress("127.0.0.1", 40000), headers)).isNull();
        assertThat(DebugAccess.refusal(new InetSocketAddress("::1", 40000), headers.set("Host", "[::1]:15014"))).isNull();
    }

    @Test
    void otherMethodsThanGetAndHeadAre405() throws Exception {
        start(Duration.ofSeconds(10), 64);

        assertThat(exchange("POST /ready HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 405");
    }
}
