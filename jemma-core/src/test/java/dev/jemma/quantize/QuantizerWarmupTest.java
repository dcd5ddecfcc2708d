package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class QuantizerWarmupTest {
    @Test
    void everyMixWarmsWritableTypesItsRulesCanChoose() {
        for (QuantizationMix mix : QuantizationMix.values()) {
            List<GGMLType> types = TensorTypeRules.likelyTypes(mix);
            if (!mix.quantized()) {
                assertTrue(types.isEmpty(), mix.name());
                continue;
            }
            assertEquals(mix.defaultType, types.get(0), mix + ": its own type first");
            assertTrue(types.contains(TensorTypeRules.fallbackOf(mix.defaultType)), mix + ": and its fallback");
            assertEquals(types.size(), Set.copyOf(types).size(), mix + ": no type twice");
            assertTrue(types.size() <= 2, mix + ": " + types);
            for (GGMLType t : types) assertTrue(Quantizers.supports(t), mix + ": " + t);
        }
    }

    @Test
    void theWarmupRunsEveryTypeWithAndWithoutImportance() {
        // run in the caller's thread: a failure here would otherwise only end the background thread
        Set<GGMLType> all = EnumSet.of(GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1,
                GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K);
        assertDoesNotThrow(() -> QuantizerWarmup.run(List.copyOf(all), false));
        assertDoesNotThrow(() -> QuantizerWarmup.run(List.copyOf(all), true));
    }
}
