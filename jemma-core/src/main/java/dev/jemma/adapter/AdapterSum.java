package dev.jemma.adapter;

import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.tensor.Rows;

import java.util.List;

/** Several adapters at once: each adds its own correction to the same output (llama.cpp's repeated --lora). */
public final class AdapterSum implements LinearAdapter {
    private final LinearAdapter[] parts;

    private AdapterSum(LinearAdapter[] parts) {
        this.parts = parts;
    }

    /** The sum of the adapters: null for none, the adapter itself for one. */
    public static LinearAdapter of(List<? extends LinearAdapter> adapters) {
        if (adapters.isEmpty()) return null;
        if (adapters.size() == 1) return adapters.getFirst();
        return new AdapterSum(adapters.toArray(new LinearAdapter[0]));
    }

    public List<LinearAdapter> parts() {
        return List.of(parts);
    }

    @Override
    public void addTo(int layer, Projection projection, Rows in, Rows out, int rows) {
        for (LinearAdapter a : parts) a.addTo(layer, projection, in, out, rows);
    }
}
