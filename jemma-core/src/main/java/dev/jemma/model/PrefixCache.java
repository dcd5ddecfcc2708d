package dev.jemma.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A bounded, least-recently-used store of prompt prefixes and their keys and values, shared by the
 * sessions of one model so that a prompt starting like an earlier one (a long system prompt, the
 * earlier turns of a conversation sent again) only computes what is new. An entry holds every
 * position of every layer (local layers included), so any prefix of it can be restored.
 * Thread-safe. Entries are freed by the garbage collector once evicted and no longer being copied.
 */
public final class PrefixCache {
    /** One stored prompt: its tokens and a cache holding all of their positions. */
    static final class Entry {
        final int[] tokens;
        final KVCache kv;
        /** the adapter the keys and values were computed through (null: the bare base): part of the key */
        final LinearAdapter adapter;
        long lastUse;

        Entry(int[] tokens, KVCache kv, LinearAdapter adapter) {
            this.tokens = tokens;
            this.kv = kv;
            this.adapter = adapter;
        }
    }

    private final GemmaConfig config;
    private final KVType type;
    private final long maxBytes;
    private final int minTokens;
    private final List<Entry> entries = new ArrayList<>();
    private long bytes;
    private long clock;
    private long hits, restoredTokens;

    /**
     * @param maxBytes  memory the entries may hold together
     * @param minTokens prompts shorter than this are not worth storing
     */
    public PrefixCache(GemmaConfig config, KVType type, long maxBytes, int minTokens) {
        this.config = config;
        this.type = type;
        this.maxBytes = maxBytes;
        this.minTokens = Math.max(1, minTokens);
    }

    public KVType kvType() {
        return type;
    }

    /** Bytes held by the stored entries. */
    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Restores that found a prefix, and the positions they did not have to compute. */
    public synchronized long hits() {
        return hits;
    }

    public synchronized long restoredTokens() {
        return restoredTokens;
    }

    static long entryBytes(GemmaConfig c, int tokens, KVType type) {
        return 2L * c.layers() * tokens * type.rowBytes(c.kvDim());
    }

    /**
     * Finds the longest stored prefix of {@code tokens[0..limit)} longer than the {@code kept}
     * positions the state already has, and copies it into the state. Returns the positions the state
     * now holds: the restored length, or {@code kept} when nothing better was found.
     */
    public int restore(InferenceState s, int[] tokens, int limit, int kept) {
        if (s.cache.type != type) return kept;
        Entry best = null;
        int bestLen = kept;
        synchronized (this) {
            for (Entry e : entries) {
                if (e.adapter != s.adapter) continue; // two adapters never share keys and values
                int n = Math.min(limit, e.tokens.length);
                int m = Arrays.mismatch(e.tokens, 0, n, tokens, 0, n);
                if (m < 0) m = n;
                if (m > bestLen) {
                    best = e;
                    bestLen = m;
                }
            }
            if (best == null) return kept;
            best.lastUse = ++clock;
            hits++;
            restoredTokens += bestLen;
        }
        s.reset();
        s.cache.copyFrom(best.kv, 0, bestLen);
        s.position = bestLen;
        s.source = best;
        s.sourceLength = bestLen;
        return bestLen;
    }

    /**
     * Starts recording a prompt of {@code length} tokens of which the state already holds
     * {@code kept}: the rows computed from now on are also written to a new entry. Recording needs
     * every earlier position, so it only starts from an empty state or one restored from an entry;
     * returns false (and records nothing) otherwise, or when the entry would not fit.
     */
    public boolean beginRecording(InferenceState s, int length, int kept) {
        if (s.cache.type != type || length < minTokens) return false;
        if (kept > 0 && (s.source == null || s.sourceLength < kept)) return false;
        if (entryBytes(config, length, type) > maxBytes) return false;
        KVCache kv = new KVCache(config, length, length, type);
        if (kept > 0) kv.copyFrom(s.source.kv, 0, kept);
        s.recorder = kv;
        return true;
    }

    /** Ends a recording begun by {@link #beginRecording} and stores the entry for these tokens. */
    public void finishRecording(InferenceState s, int[] tokens) {
        KVCache kv = s.recorder;
        s.recorder = null;
        if (kv == null) return;
        Entry e = new Entry(tokens.clone(), kv, s.adapter);
        synchronized (this) {
            // an entry that is a prefix of the new one is redundant
            entries.removeIf(old -> {
                boolean covered = old.adapter == e.adapter && old.tokens.length <= e.tokens.length
                        && Arrays.equals(old.tokens, 0, old.tokens.length, e.tokens, 0, old.tokens.length);
                if (covered) bytes -= old.kv.byteSize();
                return covered;
            });
            e.lastUse = ++clock;
            entries.add(e);
            bytes += kv.byteSize();
            while (bytes > maxBytes && !entries.isEmpty()) {
                Entry lru = entries.get(0);
                for (Entry x : entries) if (x.lastUse < lru.lastUse) lru = x;
                entries.remove(lru);
                bytes -= lru.kv.byteSize();
            }
        }
        s.source = e;
        s.sourceLength = e.tokens.length;
    }

    /** Drops every entry computed through {@code adapter} (it is being unloaded); returns how many. */
    public synchronized int forget(LinearAdapter adapter) {
        int before = entries.size();
        entries.removeIf(e -> {
            if (e.adapter != adapter) return false;
            bytes -= e.kv.byteSize();
            return true;
        });
        return before - entries.size();
    }

    /** Drops a recording that did not finish (an error during prefill). */
    public void abandonRecording(InferenceState s) {
        s.recorder = null;
    }
}
