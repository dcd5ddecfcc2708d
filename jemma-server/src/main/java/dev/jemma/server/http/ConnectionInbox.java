package dev.jemma.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes the reader thread took off the socket and the connection thread has not used yet, bounded; the
 * reader waits for room. {@code eof}/{@code error}: the peer closed its side or the connection failed.
 */
final class ConnectionInbox {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final byte[] buf = new byte[SocketHttpTransport.INBOX];
    private int start, count;
    private volatile boolean eof, failed, closed;

    void pump(InputStream in) {
        byte[] tmp = new byte[8192];
        try {
            while (true) {
                int n = in.read(tmp);
                if (n < 0) {
                    signal(() -> eof = true);
                    return;
                }
                lock.lock();
                try {
                    int off = 0;
                    while (off < n) {
                        while (count == buf.length && !closed) changed.await();
                        if (closed) return;
                        int end = (start + count) % buf.length;
                        int room = Math.min(buf.length - count, buf.length - end);
                        int k = Math.min(room, n - off);
                        System.arraycopy(tmp, off, buf, end, k);
                        count += k;
                        off += k;
                        changed.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException | InterruptedException e) {
            signal(() -> failed = true);
        }
    }

    private void signal(Runnable r) {
        lock.lock();
        try {
            r.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        signal(() -> closed = true);
    }

    boolean gone() {
        return eof || failed || closed;
    }

    /** Up to len bytes; -1 at the peer's end; SocketTimeoutException past the deadline. */
    int read(byte[] b, int off, int len, long deadline) throws IOException {
        lock.lock();
        try {
            while (count == 0) {
                if (eof) return -1;
                if (failed || closed) throw new IOException("connection closed");
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new SocketTimeoutException("read timed out");
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            int k = Math.min(len, Math.min(count, buf.length - start));
            System.arraycopy(buf, start, b, off, k);
            start = (start + k) % buf.length;
            count -= k;
            changed.signalAll();
            return k;
        } finally {
            lock.unlock();
        }
    }
}
