package dev.jemma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.*;

/**
 * `jemma finetune` on a tiny model: a run killed with SIGKILL (or stopped with SIGTERM, as Ctrl-C does) and resumed
 * from its checkpoint ends with the same adapter, byte for byte, as an uninterrupted run; bad input is one clear
 * line and leaves nothing written.
 */
class FinetuneTest {
    private static Path model() {
        return CliTest.repoRoot().resolve("jemma-train/src/test/resources/fixtures/train/mha_2layer/model.gguf");
    }

    private static Path data(Path dir) throws IOException {
        Path p = dir.resolve("train.jsonl");
        StringBuilder b = new StringBuilder();
        String[] words = {"hello", "a", "b", "c", "d", "e", "he", "ll", "o"};
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 40; i++) {
            StringBuilder prompt = new StringBuilder(), completion = new StringBuilder();
            for (int w = 0, n = 2 + r.nextInt(5); w < n; w++) prompt.append(words[r.nextInt(words.length)]).append(' ');
            for (int w = 0, n = 1 + r.nextInt(4); w < n; w++) completion.append(words[r.nextInt(words.length)]).append(' ');
            b.append("{\"prompt\":\"").append(prompt.toString().trim()).append("\\n\",\"completion\":\"").append(completion.toString().trim()).append("\"}\n");
        }
        Files.writeString(p, b.toString());
        return p;
    }

    /** The command with this test's defaults; {@code more} (option, value pairs) replaces or adds options. */
    private static List<String> args(Path data, Path out, long steps, String... more) {
        java.util.LinkedHashMap<String, String> o = new java.util.LinkedHashMap<>();
        String[] defaults = {"--model", model().toString(), "--data", data.toString(), "--out", out.toString(),
                "--steps", Long.toString(steps), "--batch", "3", "--grad-accum", "2", "--lr", "5e-3", "--warmup", "3",
                "--rank", "4", "--seq-len", "64", "--threads", "2", "--checkpoint-every", "2"};
        for (int i = 0; i < defaults.length; i += 2) o.put(defaults[i], defaults[i + 1]);
        for (int i = 0; i < more.length; i += 2) o.put(more[i], more[i + 1]);
        List<String> a = new ArrayList<>(List.of("finetune"));
        o.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        return a;
    }

    /** The CLI in a child JVM, as a user runs it. */
    private static Process child(List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.jemma.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitCheckpointAfter(Path trainLog, int steps, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (Files.exists(trainLog) && Files.readAllLines(trainLog).size() >= steps) return;
            assertTrue(p.isAlive(), "the training process ended early");
            Thread.sleep(20);
        }
        fail("no progress within 120 s");
    }

    @Test
    void aRunKilledWithSigkillResumesToTheSameAdapterByteForByte(@TempDir Path tmp) throws Exception {
        Path data = data(tmp);
        long steps = 120;
        Path reference = tmp.resolve("reference.gguf");
        CliTest.Outcome whole = jemma(args(data, reference, steps).toArray(String[]::new));
        assertEquals(0, whole.code(), whole.err());

        Path out = tmp.resolve("resumed.gguf"), ckpt = tmp.resolve("ckpt"), log = tmp.resolve("log.jsonl");
        Process p = child(args(data, out, steps, "--checkpoint-dir", ckpt.toString(), "--log", log.toString()), tmp.resolve("child.txt"));
        awaitCheckpointAfter(log, 7, p);
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(out), "killed before the end: no output yet");
        assertTrue(Files.exists(ckpt.resolve("checkpoint.bin")), "a checkpoint survives the kill");
        try (var files = Files.list(ckpt)) {
            assertEquals(List.of("checkpoint.bin"), files.map(f -> f.getFileName().toString()).toList(), "no temporary left behind");
        }

        CliTest.Outcome resumed = jemma(args(data, out, steps, "--resume", ckpt.toString()).toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resumed from"), resumed.err());
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(out), "the resumed run's adapter equals the uninterrupted run's");
    }

    @Test
    void sigtermStopsAfterAStepWithACheckpointAndTheResumedRunMatches(@TempDir Path tmp) throws Exception {
        Path data = data(tmp);
        long steps = 120;
        Path reference = tmp.resolve("reference.gguf");
        assertEquals(0, jemma(args(data, reference, steps, "--method", "full").toArray(String[]::new)).code());

        Path out = tmp.resolve("stopped.gguf"), ckpt = tmp.resolve("ckpt"), log = tmp.resolve("log.jsonl");
        Process p = child(args(data, out, steps, "--method", "full", "--checkpoint-dir", ckpt.toString(), "--log", log.toString()),
                tmp.resolve("child.txt"));
        awaitCheckpointAfter(log, 5, p);
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String said = Files.readString(tmp.resolve("child.txt"), StandardCharsets.UTF_8);
        assertTrue(said.contains("stopped at step"), said);
        int stoppedAt = Files.readAllLines(log).size();
        assertTrue(stoppedAt < steps, "stopped early");

        CliTest.Outcome resumed = jemma(args(data, out, steps, "--method", "full", "--resume", ckpt.toString()).toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(out), "full fine-tune: stopped and resumed = uninterrupted");
    }

    @Test
    void resumingWithOtherOptionsIsRefused(@TempDir Path tmp) throws Exception {
        Path data = data(tmp), out = tmp.resolve("a.gguf");
        assertEquals(0, jemma(args(data, out, 4).toArray(String[]::new)).code());
        CliTest.Outcome o = jemma(args(data, tmp.resolve("b.gguf"), 4, "--resume", out + ".ckpt", "--rank", "8").toArray(String[]::new));
        assertEquals(1, o.code());
        assertTrue(o.err().contains("other training options"), o.err());
        assertFalse(Files.exists(tmp.resolve("b.gguf")));
    }

    @Test
    void badTrainingDataIsOneLineNamingTheRowAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("a.gguf");
        String[][] cases = {
                {"{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\": oops}\n", "bad.jsonl:2:"},
                {"{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"question\":\"a\"}\n", "bad.jsonl:2:"},
                {"{\"input_ids\":[2,5,400000],\"labels\":[2,5,6]}\n", "bad.jsonl:1:"},
                {"{\"text\":\"" + "hello ".repeat(200) + "\",\"completion\":1}\n", "bad.jsonl:1:"},
        };
        for (String[] c : cases) {
            Path data = tmp.resolve("bad.jsonl");
            Files.writeString(data, c[0]);
            CliTest.Outcome o = jemma(args(data, out, 2).toArray(String[]::new));
            assertEquals(1, o.code(), c[0]);
            assertTrue(o.err().contains(c[1]), o.err());
            assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
            assertFalse(Files.exists(out));
        }
        Path data = tmp.resolve("long.jsonl");
        Files.writeString(data, "{\"prompt\":\"" + "hello ".repeat(100) + "\",\"completion\":\"a\"}\n");
        CliTest.Outcome o = jemma(args(data, out, 2).toArray(String[]::new));
        assertEquals(1, o.code());
        assertTrue(o.err().contains("long.jsonl:1:") && o.err().contains("seq"), o.err());
    }

    @Test
    void aDivergingRunStopsWithoutApplyingTheStepAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        Path data = data(tmp), out = tmp.resolve("a.gguf"), ckpt = tmp.resolve("ckpt");
        CliTest.Outcome o = jemma(args(data, out, 40, "--method", "full", "--optimizer", "sgd", "--lr", "1e9", "--clip", "0",
                "--warmup", "0", "--checkpoint-every", "1", "--checkpoint-dir", ckpt.toString()).toArray(String[]::new));
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("is not finite") && o.err().contains("step"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
        assertFalse(Files.exists(out), "no result from a diverged run");
        assertTrue(Files.exists(ckpt.resolve("checkpoint.bin")), "the last good checkpoint stays");
    }

    @Test
    void aCheckpointThatCannotBeWrittenIsAClearErrorAndTheOldOneStays(@TempDir Path tmp) throws Exception {
        Path data = data(tmp), out = tmp.resolve("a.gguf");
        Path notADir = tmp.resolve("file");
        Files.writeString(notADir, "x");
        CliTest.Outcome o = jemma(args(data, out, 2, "--checkpoint-dir", notADir.toString()).toArray(String[]::new));
        assertEquals(1, o.code());
        assertTrue(o.err().contains("checkpoint"), o.err());
        assertEquals("x", Files.readString(notADir));
    }

    @Test
    void badOptionsAreRefusedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path data = data(tmp), out = tmp.resolve("a.gguf");
        String[][] cases = {{"--method", "half"}, {"--rank", "0"}, {"--lr", "-1"}, {"--targets", "q,x"}, {"--batch", "0"},
                {"--optimizer", "adam"}, {"--schedule", "step"}, {"--out-type", "q4_0"}};
        for (String[] c : cases) {
            CliTest.Outcome o = jemma(args(data, out, 2, c).toArray(String[]::new));
            assertEquals(1, o.code(), String.join(" ", c));
            assertTrue(o.err().startsWith("jemma: error:"), o.err());
            assertFalse(Files.exists(out));
        }
    }
}
