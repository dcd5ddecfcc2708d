package dev.jemma.generate;

import java.util.List;

/**
 * Holds back streamed text that could be the start of a stop string, so a stop string never
 * reaches the output even when it arrives split across tokens. Not thread-safe.
 */
public final class StopStringFilter {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStringFilter(List<String> stops) {
        this.stops = stops;
    }

    /** Adds newly decoded text; returns the part that is now safe to emit. */
    public String push(String delta) {
        if (stopped) return "";
        if (stops.isEmpty()) return delta;
        pending.append(delta);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        String text = pending.toString();
        int hold = 0;
        for (String s : stops) hold = Math.max(hold, overlap(text, s));
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Longest suffix of text that is a proper prefix of s. */
    private static int overlap(String text, String s) {
        int max = Math.min(s.length() - 1, text.length());
        for (int n = max; n > 0; n--) {
            if (text.regionMatches(text.length() - n, s, 0, n)) return n;
        }
        return 0;
    }

    /** True once a stop string has been seen: generation should end. */
    public boolean stopped() {
        return stopped;
    }

    /** At the end of a stream that did not stop: the held-back text. */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }
}
