package dev.jemma.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StopStringFilterTest {

    private static String feed(StopStringFilter f, String... deltas) {
        StringBuilder out = new StringBuilder();
        for (String d : deltas) {
            out.append(f.push(d));
            if (f.stopped()) return out.toString();
        }
        return out.append(f.flush()).toString();
    }

    @Test
    void stopStringSplitAcrossDeltasNeverLeaks() {
        StopStringFilter f = new StopStringFilter(List.of("STOP"));
        assertEquals("hello ", feed(f, "hel", "lo S", "TO", "P and more"));
        assertTrue(f.stopped());
    }

    @Test
    void heldBackPrefixIsReleasedWhenItDoesNotMatch() {
        StopStringFilter f = new StopStringFilter(List.of("STOP"));
        assertEquals("a", f.push("aST"));
        assertEquals("STx", f.push("x"));
        assertFalse(f.stopped());
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopStringFilter f = new StopStringFilter(List.of("world", "lo"));
        assertEquals("hel", feed(f, "hello world"));
    }

    @Test
    void pendingTextIsFlushedAtTheEnd() {
        StopStringFilter f = new StopStringFilter(List.of("\n\nUser:"));
        assertEquals("answer\n\nUs", feed(f, "answer", "\n\nUs"));
        assertFalse(f.stopped());
    }

    @Test
    void noStopsPassesEverythingThrough() {
        StopStringFilter f = new StopStringFilter(List.of());
        assertEquals("abc", f.push("abc"));
    }
}
