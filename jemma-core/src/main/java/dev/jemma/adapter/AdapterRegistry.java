package dev.jemma.adapter;

import dev.jemma.model.GemmaConfig;
import dev.jemma.model.LinearAdapter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The named LoRA adapters of one base model, each with a stable numeric id (llama-server's adapter ids), its
 * default scale and a global scale (llama-server's {@code POST /lora-adapters}). Requests take a {@link Lease}
 * on what they run with (one adapter, a weighted combination, or the global set) and return it when done; an
 * adapter in use cannot be unloaded. A combination is made once and reused while its adapters stay loaded, so
 * its identity can key the prefix cache. Memory is bounded: loading past the budget fails with the numbers.
 *
 * <p>Thread-safe.
 */
public final class AdapterRegistry {
    /** What a registered adapter is, as the APIs list it. */
    public record Info(int id, String name, Path path, float scale, float globalScale, int rank, long bytes, int inUse) {}

    /** One weight of a combination: the adapter's id and its scale (llama-server's {@code {"id":..,"scale":..}}). */
    public record Weighted(int id, float scale) {}

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
    private static final int COMBINATIONS = 64;

    private final GemmaConfig base;
    private final long maxBytes;
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final Map<Integer, Entry> byId = new TreeMap<>();
    /** combinations made so far, by canonical key, least recently used first */
    private final LinkedHashMap<String, Combination> combinations = new LinkedHashMap<>(16, 0.75f, true);
    private final List<Consumer<LinearAdapter>> retired = new ArrayList<>();
    private int nextId;
    private long bytes;

    private static final class Entry {
        final int id;
        final String name;
        final Path path;
        final LoraAdapter file;
        final float scale;
        final LoraAdapter scaled;
        final long bytes;
        float globalScale;
        int leases;

        Entry(int id, String name, Path path, LoraAdapter file, float scale, float globalScale, long bytes) {
            this.id = id;
            this.name = name;
            this.path = path;
            this.file = file;
            this.scale = scale;
            this.scaled = file.withScale(scale);
            this.globalScale = globalScale;
            this.bytes = bytes;
        }

        Info info() {
            return new Info(id, name, path, scale, globalScale, file.rank(), bytes, leases);
        }
    }

    private record Combination(LinearAdapter adapter, int[] ids) {}

    /** @param maxBytes memory the adapters' weights may take together */
    public AdapterRegistry(GemmaConfig base, long maxBytes) {
        if (maxBytes < 0) throw new IllegalArgumentException("adapter memory must be ≥ 0, got " + maxBytes);
        this.base = Objects.requireNonNull(base, "base");
        this.maxBytes = maxBytes;
    }

    public GemmaConfig base() {
        return base;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Bytes the loaded adapters take. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Called with every adapter object that will never run again (unloaded, or a combination dropped): caches keyed on it can go. */
    public synchronized void onRetire(Consumer<LinearAdapter> listener) {
        retired.add(Objects.requireNonNull(listener));
    }

    /** Checks a name: letters, digits and {@code . _ : @ / -}, at most 128 characters. */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AdapterRegistryException(AdapterRegistryException.Kind.BAD_NAME, "adapter name '" + name
                    + "' is not valid: use letters, digits and . _ : @ / - (at most 128 characters, starting with a letter or digit)");
        }
    }

    /**
     * Reads a llama.cpp adapter file for this base and registers it as {@code name} with a default scale
     * (used when a request names the adapter) and a global scale (applied to requests for the base; 0 = not).
     */
    public Info load(String name, Path path, float scale, float globalScale) throws IOException {
        checkName(name);
        checkScale(scale);
        checkScale(globalScale);
        synchronized (this) {
            if (byName.containsKey(name)) throw exists(name);
        }
        return register(name, path, LoraAdapter.read(path, base), scale, globalScale);
    }

    /** Registers an adapter already read (or made) for this base. */
    public synchronized Info register(String name, Path path, LoraAdapter adapter, float scale, float globalScale) {
        checkName(name);
        checkScale(scale);
        checkScale(globalScale);
        if (adapter.base() != base && !adapter.base().equals(base)) {
            throw new AdapterFormatException("adapter '" + name + "' was made for another base model");
        }
        if (byName.containsKey(name)) throw exists(name);
        long need = adapter.bytes();
        if (bytes + need > maxBytes) {
            throw new AdapterRegistryException(AdapterRegistryException.Kind.MEMORY, String.format(
                    "adapter '%s' needs %,d bytes but the adapters' budget of %,d bytes has %,d left (%d loaded, %,d bytes)",
                    name, need, maxBytes, maxBytes - bytes, byName.size(), bytes));
        }
        Entry e = new Entry(nextId++, name, path, adapter, scale, globalScale, need);
        byName.put(name, e);
        byId.put(e.id, e);
        bytes += need;
        return e.info();
    }

    /** Removes an adapter; refused while a lease holds it. */
    public void unload(String name) {
        List<LinearAdapter> gone = new ArrayList<>();
        List<Consumer<LinearAdapter>> listeners;
        synchronized (this) {
            Entry e = byName.get(name);
            if (e == null) throw notFound(name);
            if (e.leases > 0) {
                throw new AdapterRegistryException(AdapterRegistryException.Kind.IN_USE, "adapter '" + name + "' is used by "
                        + e.leases + " request" + (e.leases == 1 ? "" : "s") + "; unload it when they have finished");
            }
            byName.remove(name);
            byId.remove(e.id);
            bytes -= e.bytes;
            gone.add(e.scaled);
            combinations.values().removeIf(c -> { // the combinations that hold it are made from it
                for (int id : c.ids) {
                    if (id == e.id) {
                        gone.add(c.adapter);
                        return true;
                    }
                }
                return false;
            });
            listeners = List.copyOf(retired);
        }
        for (LinearAdapter a : gone) for (Consumer<LinearAdapter> l : listeners) l.accept(a);
    }

    /** Every adapter, in id order. */
    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>(byId.size());
        for (Entry e : byId.values()) out.add(e.info());
        return out;
    }

    public synchronized Info find(String name) {
        Entry e = byName.get(name);
        return e == null ? null : e.info();
    }

    public synchronized int size() {
        return byName.size();
    }

    /**
     * Sets the global scales (llama-server's {@code POST /lora-adapters}): the listed ids get their scale, every
     * other adapter 0. All ids are checked before any scale changes.
     */
    public synchronized void setGlobalScales(List<Weighted> scales) {
        checkWeights(scales);
        for (Entry e : byId.values()) e.globalScale = 0;
        for (Weighted w : scales) byId.get(w.id()).globalScale = w.scale();
    }

    /** A lease on one adapter at its default scale. */
    public synchronized Lease lease(String name) {
        Entry e = byName.get(name);
        if (e == null) throw notFound(name);
        e.leases++;
        return new Lease(this, e.scaled, new int[] {e.id});
    }

    /** A lease on a weighted combination (adapters with scale 0 left out; none: the bare base). */
    public synchronized Lease lease(List<Weighted> weights) {
        checkWeights(weights);
        Map<Integer, Float> scales = new TreeMap<>();
        for (Weighted w : weights) scales.put(w.id(), w.scale()); // a repeated id: the last scale wins
        scales.values().removeIf(s -> s == 0f);
        return leaseCombination(scales);
    }

    /** A lease on the global set: every adapter whose global scale is not 0 (none: the bare base). */
    public synchronized Lease leaseGlobal() {
        Map<Integer, Float> scales = new TreeMap<>();
        for (Entry e : byId.values()) if (e.globalScale != 0f) scales.put(e.id, e.globalScale);
        return leaseCombination(scales);
    }

    /** Fails, naming the first, when an id is not loaded or a scale is not finite. */
    public synchronized void checkWeights(List<Weighted> weights) {
        for (Weighted w : weights) {
            if (!byId.containsKey(w.id())) throw notFound(w.id());
            checkScale(w.scale());
        }
    }

    private Lease leaseCombination(Map<Integer, Float> scales) {
        if (scales.isEmpty()) return new Lease(this, LinearAdapter.NONE, new int[0]);
        if (scales.size() == 1) { // one adapter at its own scale is that adapter, whatever asked for it
            Entry e = byId.get(scales.keySet().iterator().next());
            if (scales.get(e.id) == e.scale) {
                e.leases++;
                return new Lease(this, e.scaled, new int[] {e.id});
            }
        }
        StringBuilder key = new StringBuilder();
        for (var s : scales.entrySet()) key.append(s.getKey()).append(':').append(Float.floatToIntBits(s.getValue())).append(',');
        Combination c = combinations.get(key.toString());
        if (c == null) {
            List<LoraAdapter> parts = new ArrayList<>();
            int[] ids = new int[scales.size()];
            int i = 0;
            for (var s : scales.entrySet()) {
                Entry e = byId.get(s.getKey());
                parts.add(e.file.withScale(s.getValue()));
                ids[i++] = e.id;
            }
            c = new Combination(AdapterSum.of(parts), ids);
            combinations.put(key.toString(), c);
            if (combinations.size() > COMBINATIONS) {
                var oldest = combinations.entrySet().iterator().next();
                combinations.remove(oldest.getKey());
                LinearAdapter old = oldest.getValue().adapter;
                for (Consumer<LinearAdapter> l : retired) l.accept(old);
            }
        }
        for (int id : c.ids) byId.get(id).leases++;
        return new Lease(this, c.adapter, c.ids);
    }

    private synchronized void release(int[] ids) {
        for (int id : ids) {
            Entry e = byId.get(id);
            if (e != null) e.leases--;
        }
    }

    private static void checkScale(float s) {
        if (!Float.isFinite(s)) throw new IllegalArgumentException("an adapter scale must be a finite number, got " + s);
    }

    private static AdapterRegistryException exists(String name) {
        return new AdapterRegistryException(AdapterRegistryException.Kind.EXISTS, "an adapter named '" + name + "' is already loaded");
    }

    private static AdapterRegistryException notFound(String name) {
        return new AdapterRegistryException(AdapterRegistryException.Kind.NOT_FOUND, "no adapter named '" + name + "' is loaded");
    }

    private static AdapterRegistryException notFound(int id) {
        return new AdapterRegistryException(AdapterRegistryException.Kind.NOT_FOUND, "no adapter with id " + id + " is loaded");
    }

    /**
     * What one request or session runs with; close it when done (idempotent). {@link #adapter()} is
     * {@link LinearAdapter#NONE} for the bare base.
     */
    public static final class Lease implements AutoCloseable {
        private final AdapterRegistry owner;
        private final LinearAdapter adapter;
        private int[] ids;

        private Lease(AdapterRegistry owner, LinearAdapter adapter, int[] ids) {
            this.owner = owner;
            this.adapter = adapter;
            this.ids = ids;
        }

        public LinearAdapter adapter() {
            return adapter;
        }

        @Override
        public void close() {
            int[] held;
            synchronized (this) {
                held = ids;
                ids = null;
            }
            if (held != null) owner.release(held);
        }
    }
}
