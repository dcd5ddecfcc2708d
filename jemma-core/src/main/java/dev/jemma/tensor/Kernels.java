package dev.jemma.tensor;

import dev.jemma.JemmaException;

import java.util.Locale;

/**
 * Which kernels a model's matrix products run: the pure-Java f32 kernels, or the optional native integer kernels
 * ({@link NativeKernels}: activations quantized to 8-bit blocks as llama.cpp does, integer dot products). The
 * Java kernels keep Jemma's 1e-4 agreement with transformers; the native ones share llama.cpp's numerics.
 */
public enum Kernels {
    /** native where the library is present and the CPU runs it, Java otherwise */
    AUTO,
    JAVA,
    /** native, or an error saying why not */
    NATIVE;

    /** The system property that sets the default choice ({@code auto}, {@code java} or {@code native}). */
    public static final String PROPERTY = "jemma.kernels";

    /** The choice named by {@link #PROPERTY} (or the JEMMA_KERNELS environment variable), AUTO if neither is set. */
    public static Kernels configured() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) v = System.getenv("JEMMA_KERNELS");
        return v == null || v.isBlank() ? AUTO : parse(v);
    }

    /** {@code auto}, {@code java} or {@code native}, in any case. */
    public static Kernels parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new JemmaException("kernels must be auto, java or native, got '" + name + "'");
        }
    }

    /**
     * The kernels that will run: JAVA or NATIVE. NATIVE when the library cannot run here is a
     * {@link JemmaException} with the reason.
     */
    public Kernels resolve() {
        return switch (this) {
            case JAVA -> JAVA;
            case AUTO -> NativeKernels.available() ? NATIVE : JAVA;
            case NATIVE -> {
                if (!NativeKernels.available()) {
                    throw new JemmaException("native kernels requested but unavailable: " + NativeKernels.unavailableReason());
                }
                yield NATIVE;
            }
        };
    }

    /**
     * Loads the native library and links its calls (~100 ms on a cold JVM) on a daemon thread, so that a command
     * line can do it while it parses its arguments; whoever then needs the library waits for that thread instead
     * of doing the work again (class initialization runs once).
     */
    public static void loadInBackground() {
        Thread t = new Thread(() -> {
            NativeKernels.available();
            try { // links its calls too, used when the first KV cache is made
                Class.forName(ZeroedMemory.class.getName(), true, Kernels.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }, "jemma-native-load");
        t.setDaemon(true);
        t.start();
    }

    /** What runs, for logs, {@code jemma info} and benchmark rows: "java", or "native (avx2)" and the like. */
    public String describe() {
        Kernels k = resolve();
        return k == JAVA ? "java" : "native (" + NativeKernels.variant() + ")";
    }
}
