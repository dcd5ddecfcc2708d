package dev.jemma.constrain;

import java.util.LinkedHashMap;
import java.util.Map;

/** Token masks by parser state (least recently used out first): a state seen before costs a lookup. Thread-safe. */
final class MaskCache {
    private final Map<String, long[]> map;

    MaskCache(int capacity) {
        this.map = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> e) {
                return size() > capacity;
            }
        };
    }

    synchronized long[] get(String key) {
        return map.get(key);
    }

    synchronized void put(String key, long[] mask) {
        map.put(key, mask);
    }
}
