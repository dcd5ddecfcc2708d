package dev.jemma.server.http;

import java.io.IOException;

/** A request the transport answers itself (then closes): 400, 414, 431, 505. */
final class HttpError extends IOException {
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
