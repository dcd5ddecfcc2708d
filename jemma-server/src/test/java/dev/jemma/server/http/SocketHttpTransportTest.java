package dev.jemma.server.http;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transport alone, under small handlers (no model): client-gone detection, pipelining meanwhile, graceful stop. */
class SocketHttpTransportTest {
    static SocketHttpTransport start(HttpTransport.Handler h) throws IOException {
        SocketHttpTransport t = new SocketHttpTransport();
        t.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), h);
        return t;
    }

    static Socket connect(SocketHttpTransport t) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), t.address().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    static void ok(Exchange ex, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        OutputStream out = ex.respond(200, b.length);
        out.write(b);
    }

    static String readAll(InputStream in) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            for (int n; (n = in.read(b)) > 0; ) buf.write(b, 0, n);
        } catch (IOException e) {
            // what came
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void handlerSeesTheClientHangUpWithinMilliseconds() throws Exception {
        CompletableFuture<Long> seen = new CompletableFuture<>();
        SocketHttpTransport t = start(ex -> {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ex.clientGone() && System.nanoTime() < end) sleep(5);
            seen.complete(System.nanoTime());
        });
        try (Socket s = connect(t)) {
            s.getOutputStream().write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(300);
            assertFalse(seen.isDone(), "the client counted as gone while still connected");
            long closed = System.nanoTime();
            s.close();
            long at = seen.get(5, TimeUnit.SECONDS);
            assertTrue((at - closed) / 1e6 < 500, "seen after " + (at - closed) / 1e6 + " ms");
        } finally {
            t.stop(0);
        }
    }

    @Test
    void bytesArrivingWhileAHandlerRunsAreKeptForTheNextRequest() throws Exception {
        List<String> gone = new CopyOnWriteArrayList<>();
        SocketHttpTransport t = start(ex -> {
            sleep(300); // the next request arrives meanwhile and is read by the watcher
            gone.add(ex.uri().getPath() + "=" + ex.clientGone());
            ok(ex, ex.uri().getPath());
        });
        try (Socket s = connect(t)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(100);
            out.write("GET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String r = readAll(s.getInputStream());
            assertEquals(2, r.split("HTTP/1\\.1 200 OK", -1).length - 1, r);
            assertTrue(r.indexOf("/a") < r.indexOf("/b"), r);
            assertEquals(List.of("/a=false", "/b=false"), gone);
        } finally {
            t.stop(0);
        }
    }

    @Test
    void streamedResponsesAreChunkedAndEnd() throws Exception {
        SocketHttpTransport t = start(ex -> {
            OutputStream out = ex.respond(200, -1);
            for (int i = 0; i < 3; i++) {
                out.write(("event " + i + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        });
        try (Socket s = connect(t)) {
            s.getOutputStream().write("GET /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String r = readAll(s.getInputStream());
            assertTrue(r.contains("Transfer-Encoding: chunked\r\n"), r);
            assertTrue(r.endsWith("8\r\nevent 2\n\r\n0\r\n\r\n"), r);
        } finally {
            t.stop(0);
        }
    }

    @Test
    void gracefulStopLetsARunningExchangeFinishAndRefusesNewOnes() throws Exception {
        CompletableFuture<Void> entered = new CompletableFuture<>();
        SocketHttpTransport t = start(ex -> {
            entered.complete(null);
            sleep(700);
            ok(ex, "done");
        });
        int port = t.address().getPort();
        try (Socket s = connect(t)) {
            s.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            entered.get(5, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            t.stop(5);
            double secs = (System.nanoTime() - t0) / 1e9;
            String r = readAll(s.getInputStream());
            assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
            assertTrue(r.endsWith("done"), r);
            assertTrue(r.contains("Connection: close"), r);
            assertTrue(secs < 4, "stop waited " + secs + " s");
        }
        boolean refused;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(2000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            refused = readAll(s.getInputStream()).isEmpty();
        } catch (IOException e) {
            refused = true;
        }
        assertTrue(refused);
    }

    @Test
    void headerNamesAreCaseInsensitiveAndRepeatedValuesKept() throws Exception {
        CompletableFuture<List<String>> got = new CompletableFuture<>();
        SocketHttpTransport t = start(ex -> {
            got.complete(ex.headers("x-multi"));
            ok(ex, "");
        });
        try (Socket s = connect(t)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nX-Multi: 1\r\nx-multi:  2 \r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertTrue(readAll(s.getInputStream()).startsWith("HTTP/1.1 200 OK"));
            assertEquals(List.of("1", "2"), got.get(5, TimeUnit.SECONDS));
        } finally {
            t.stop(0);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
