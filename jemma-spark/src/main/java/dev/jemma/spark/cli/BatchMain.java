package dev.jemma.spark.cli;

import dev.jemma.cli.Main;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code jemma} command line with {@code batch} added ({@code ./jemma batch} runs this, with Spark on the class
 * path; so does {@code spark-submit --class dev.jemma.spark.cli.BatchMain jemma-spark-*-spark.jar batch ...}).
 */
public final class BatchMain {
    private BatchMain() {}

    public static void main(String[] args) {
        // Spark's own INFO logging would bury the progress bar; JEMMA_SPARK_LOG=INFO brings it back
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:dev/jemma/spark/cli/log4j2-batch.properties");
        }
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        System.exit(Main.run(List.of(new BatchCommand()), args));
    }
}
