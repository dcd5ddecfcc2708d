package dev.jemma.adapter;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The adapter registry: names and ids, leases, unloading, the memory budget, bad files, and no leak over many cycles. */
class AdapterRegistryTest {
    @TempDir
    static Path tmp;
    static GemmaConfig config;
    static Path adapterFile;

    @BeforeAll
    static void setUp() throws Exception {
        Path model = TinyGemma.builder().write(Files.createDirectories(tmp.resolve("model")));
        try (Gemma3Model m = Gemma3Model.load(model, 1)) {
            config = m.config;
        }
        adapterFile = tmp.resolve("a.gguf");
        LoraFixtures.random(config, 4, 8, EnumSet.allOf(Projection.class), 1, 0.1f, 0.1f).write(adapterFile);
    }

    @Test
    void loadLeaseAndUnload() throws Exception {
        AdapterRegistry r = new AdapterRegistry(config, 1L << 30);
        AdapterRegistry.Info a = r.load("support-bot", adapterFile, 1f, 0f);
        AdapterRegistry.Info b = r.load("router", adapterFile, 0.5f, 0f);
        assertEquals(0, a.id());
        assertEquals(1, b.id());
        assertEquals(4, a.rank());
        assertTrue(a.bytes() > 0);
        assertEquals(a.bytes() + b.bytes(), r.bytes());
        assertEquals(List.of("support-bot", "router"), r.list().stream().map(AdapterRegistry.Info::name).toList());

        AdapterRegistryException taken = assertThrows(AdapterRegistryException.class, () -> r.load("router", adapterFile, 1f, 0f));
        assertEquals(AdapterRegistryException.Kind.EXISTS, taken.kind());
        assertTrue(taken.getMessage().contains("router"), taken.getMessage());
        assertEquals(AdapterRegistryException.Kind.BAD_NAME,
                assertThrows(AdapterRegistryException.class, () -> r.load("../x", adapterFile, 1f, 0f)).kind());

        AdapterRegistry.Lease lease = r.lease("router");
        assertEquals(1, r.find("router").inUse());
        AdapterRegistryException busy = assertThrows(AdapterRegistryException.class, () -> r.unload("router"));
        assertEquals(AdapterRegistryException.Kind.IN_USE, busy.kind());
        lease.close();
        lease.close(); // idempotent
        assertEquals(0, r.find("router").inUse());
        r.unload("router");
        assertNull(r.find("router"));
        assertEquals(a.bytes(), r.bytes());
        AdapterRegistryException gone = assertThrows(AdapterRegistryException.class, () -> r.lease("router"));
        assertEquals(AdapterRegistryException.Kind.NOT_FOUND, gone.kind());
        assertTrue(gone.getMessage().contains("router"), gone.getMessage());
        assertEquals(2, r.load("router", adapterFile, 1f, 0f).id(), "ids are never reused");
    }

    @Test
    void combinationsAndTheGlobalSet() throws Exception {
        AdapterRegistry r = new AdapterRegistry(config, 1L << 30);
        r.load("x", adapterFile, 1f, 0f);
        r.load("y", adapterFile, 1f, 0f);
        try (var base = r.leaseGlobal()) {
            assertSame(LinearAdapter.NONE, base.adapter(), "no global scales: the bare base");
        }
        try (var l1 = r.lease(List.of(new AdapterRegistry.Weighted(0, 0.5f), new AdapterRegistry.Weighted(1, 1f)));
             var l2 = r.lease(List.of(new AdapterRegistry.Weighted(1, 1f), new AdapterRegistry.Weighted(0, 0.5f)))) {
            assertSame(l1.adapter(), l2.adapter(), "one combination, one object (it keys the prefix cache)");
            assertEquals(2, r.find("x").inUse());
        }
        try (var single = r.lease(List.of(new AdapterRegistry.Weighted(0, 1f))); var named = r.lease("x")) {
            assertSame(named.adapter(), single.adapter(), "x at its own scale is x");
        }
        try (var zero = r.lease(List.of(new AdapterRegistry.Weighted(0, 0f)))) {
            assertSame(LinearAdapter.NONE, zero.adapter(), "scale 0 leaves an adapter out");
        }
        r.setGlobalScales(List.of(new AdapterRegistry.Weighted(1, 0.25f)));
        assertEquals(0f, r.find("x").globalScale());
        assertEquals(0.25f, r.find("y").globalScale());
        try (var global = r.leaseGlobal()) {
            assertNotSame(LinearAdapter.NONE, global.adapter());
            assertEquals(1, r.find("y").inUse());
        }
        assertEquals(AdapterRegistryException.Kind.NOT_FOUND, assertThrows(AdapterRegistryException.class,
                () -> r.setGlobalScales(List.of(new AdapterRegistry.Weighted(7, 1f)))).kind());
        assertEquals(0.25f, r.find("y").globalScale(), "a refused update changes nothing");
    }

    @Test
    void theMemoryBudgetIsEnforcedWithTheNumbers() throws Exception {
        long one = new AdapterRegistry(config, 1L << 30).load("probe", adapterFile, 1f, 0f).bytes();
        AdapterRegistry r = new AdapterRegistry(config, one * 2 + one / 2);
        r.load("a", adapterFile, 1f, 0f);
        r.load("b", adapterFile, 1f, 0f);
        AdapterRegistryException full = assertThrows(AdapterRegistryException.class, () -> r.load("c", adapterFile, 1f, 0f));
        assertEquals(AdapterRegistryException.Kind.MEMORY, full.kind());
        assertTrue(full.getMessage().contains(String.format("%,d", one)), full.getMessage());
        r.unload("a");
        r.load("c", adapterFile, 1f, 0f);
    }

    @Test
    void badFilesNameTheProblem() throws Exception {
        AdapterRegistry r = new AdapterRegistry(config, 1L << 30);
        Path otherBase = LoraFixtures.lora().resolve("adapter.gguf"); // made for a bigger synthetic model
        AdapterFormatException shape = assertThrows(AdapterFormatException.class, () -> r.load("other", otherBase, 1f, 0f));
        assertTrue(shape.getMessage().contains("blk."), "names the tensor: " + shape.getMessage());
        Path junk = tmp.resolve("junk.gguf");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertThrows(dev.jemma.gguf.ModelFormatException.class, () -> r.load("junk", junk, 1f, 0f));
        assertEquals(0, r.size());
        assertEquals(0, r.bytes());
    }

    @Test
    void memoryStaysFlatOverAThousandLoadsAndUnloads() throws Exception {
        AdapterRegistry r = new AdapterRegistry(config, 1L << 30);
        for (int i = 0; i < 50; i++) cycle(r, i); // warm up
        long heapBefore = usedHeapAfterGc(), rssBefore = rss();
        for (int i = 50; i < 1050; i++) cycle(r, i);
        long heapAfter = usedHeapAfterGc(), rssAfter = rss();
        assertEquals(0, r.size());
        assertEquals(0, r.bytes());
        assertTrue(heapAfter - heapBefore < (8L << 20), "heap grew by " + (heapAfter - heapBefore) + " bytes");
        if (rssBefore > 0) assertTrue(rssAfter - rssBefore < (64L << 20), "resident memory grew by " + (rssAfter - rssBefore) + " bytes");
    }

    private static void cycle(AdapterRegistry r, int i) throws Exception {
        r.load("n" + i, adapterFile, 1f, 0f);
        try (var lease = r.lease(List.of(new AdapterRegistry.Weighted(r.find("n" + i).id(), 0.5f)))) {
            assertNotNull(lease.adapter());
        }
        r.unload("n" + i);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Resident set size from /proc (0 where there is none). */
    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }
}
