package dev.jemma.hf;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Folder names through gguf-py's naming heuristics (expected values printed by the gguf-py that llama-cpp-python 0.3.36 vendors). */
class ModelNamingTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "gemma-3-270m-it|268098176|Gemma 3 270m It|gemma-3|it|270M",
            "gemma-3-4b-pt|3880000000|Gemma 3 4b Pt|gemma-3|pt|4B",
            "gemma-3-27b-it-qat-q4_0-unquantized|27000000000|Gemma 3 27b It Qat Q4_0 Unquantized|gemma-3|it-qat-unquantized|27B",
            "tiny-gemma3-vision|178000|Tiny Gemma3 Vision|tiny-gemma3|vision|-",
            "my-model-v2.1-chat|1000000|My Model v2.1 Chat|my-model-v2.1|chat|-",
            "Gemma3-1B-instruct-32k|1000000000|Gemma3 1B Instruct 32k|Gemma3|instruct-32k|1B"})
    void likeGgufPy(String id, long params, String name, String basename, String finetune, String size) {
        ModelNaming n = ModelNaming.of(id, params);
        assertEquals(name, n.name());
        assertEquals(basename, n.basename());
        assertEquals(finetune, n.finetune());
        assertEquals(size, n.sizeLabel());
    }
}
