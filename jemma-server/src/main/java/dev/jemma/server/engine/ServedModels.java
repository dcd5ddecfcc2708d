package dev.jemma.server.engine;

import dev.jemma.adapter.AdapterRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * The model ids a server answers to and what each runs with: the base model (its id from {@link ModelInfo}),
 * and every adapter of the registry under its own name, all on one base. One of them is the default, used by a
 * request that names no model. A request for the base runs with the registry's global set (llama-server's
 * {@code POST /lora-adapters}; empty unless set), and a llama-server {@code lora} list replaces whatever the
 * model id would apply.
 */
public final class ServedModels {
    /** A served id: the base (adapter null) or an adapter's name. */
    public record Served(String id, AdapterRegistry.Info adapter) {
        public boolean isBase() {
            return adapter == null;
        }
    }

    /** What a request asked for, checked: the id responses state, and the adapters it runs with. */
    public record Choice(String id, String adapter, List<AdapterRegistry.Weighted> lora) {}

    private final ModelInfo base;
    private final AdapterRegistry registry;
    private final String defaultAdapter;

    /** @param defaultAdapter the adapter a request that names no model gets, or null for the base */
    public ServedModels(ModelInfo base, AdapterRegistry registry, String defaultAdapter) {
        this.base = base;
        this.registry = registry;
        this.defaultAdapter = defaultAdapter;
        if (defaultAdapter != null && registry.find(defaultAdapter) == null) {
            throw new IllegalArgumentException("the default adapter '" + defaultAdapter + "' is not loaded");
        }
    }

    public ModelInfo base() {
        return base;
    }

    public AdapterRegistry registry() {
        return registry;
    }

    /** The id a request that names no model gets. */
    public String defaultId() {
        return defaultAdapter != null && registry.find(defaultAdapter) != null ? defaultAdapter : base.id();
    }

    /** Every served id, the default first. */
    public List<Served> list() {
        List<Served> out = new ArrayList<>();
        String def = defaultId();
        List<AdapterRegistry.Info> adapters = registry.list();
        for (AdapterRegistry.Info a : adapters) if (a.name().equals(def)) out.add(new Served(a.name(), a));
        out.add(new Served(base.id(), null));
        if (def.equals(base.id())) out.addFirst(out.removeLast());
        for (AdapterRegistry.Info a : adapters) if (!a.name().equals(def)) out.add(new Served(a.name(), a));
        return out;
    }

    /** The served model of that name (the base's other names and Ollama's ":latest" included), or null. */
    public Served find(String name) {
        if (name == null || name.isEmpty()) name = defaultId();
        String n = name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
        AdapterRegistry.Info a = registry.find(n);
        if (a != null) return new Served(a.name(), a);
        if (base.answersTo(name)) return new Served(base.id(), null);
        return null;
    }

    /**
     * Checks a request's model and optional llama-server {@code lora} list; null when the model is unknown (the
     * API answers 404 its own way). An unknown adapter id in {@code lora} is an {@link dev.jemma.adapter.AdapterRegistryException}.
     */
    public Choice choose(String model, List<AdapterRegistry.Weighted> lora) {
        Served s = find(model);
        if (s == null) return null;
        if (lora != null) registry.checkWeights(lora);
        return new Choice(s.id(), s.isBase() ? null : s.adapter().name(), lora == null ? null : List.copyOf(lora));
    }

    /** A lease on what the choice runs with; close it when the request ends. */
    public AdapterRegistry.Lease lease(Choice c) {
        if (c.lora() != null) return registry.lease(c.lora());
        if (c.adapter() != null) return registry.lease(c.adapter());
        return registry.leaseGlobal();
    }
}
