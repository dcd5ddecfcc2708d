package dev.jemma.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class whose tests share one server with the default test configuration, started once and closed after. */
abstract class SharedServerTest {
    static TestServer s;

    @BeforeAll
    static void startServer() throws Exception {
        s = new TestServer();
    }

    @AfterAll
    static void stopServer() {
        if (s != null) s.close();
        s = null;
    }
}
