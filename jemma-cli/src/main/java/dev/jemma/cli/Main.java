package dev.jemma.cli;

import dev.jemma.JemmaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The {@code jemma} command line. stdout carries only results; logs, progress and timings go to stderr. */
@Command(name = "jemma", mixinStandardHelpOptions = true, version = "jemma 0.1.0",
        description = "Gemma 3 in pure Java.",
        footer = "%n`jemma batch` (a table of prompts as an Apache Spark job) runs through ./jemma batch: docs/SPARK.md.")
public final class Main {
    /** The built-in commands, in the order help lists them. */
    private static final java.util.List<Class<?>> COMMANDS = java.util.List.of(RunCommand.class, ChatCommand.class,
            InfoCommand.class, TokenizeCommand.class, LogitsCommand.class, PerplexityCommand.class, BenchCommand.class,
            ServeCommand.class, EvalCommand.class, FinetuneCommand.class, MergeCommand.class, ConvertCommand.class,
            QuantizeCommand.class, ImatrixCommand.class, CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        dev.jemma.Trace.mark("main entered");
        dev.jemma.tensor.Kernels.loadInBackground(); // beside the parsing of the command line
        System.setOut(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8));
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(java.util.List.of(), args);
    }

    /**
     * Runs the command line with {@code extra} commands beside the built-in ones (modules above the CLI, such as
     * jemma-spark's {@code batch}, add theirs this way).
     */
    public static int run(java.util.List<Object> extra, String... args) {
        Log.quiet = false; // a command's --json quiets its own run only (tests run many commands in one JVM)
        CommandLine cl = new CommandLine(new Main());
        // Building a command's model reads its annotations reflectively (tens of ms each on a cold JVM), so a
        // command line that names a built-in command builds that one alone; anything else gets them all.
        Class<?> named = args.length == 0 ? null : COMMANDS.stream()
                .filter(c -> c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(args[0]))
                .findFirst().orElse(null);
        for (Class<?> c : COMMANDS) {
            if (named == null || c == named) cl.addSubcommand(c);
        }
        for (Object c : extra) cl.addSubcommand(c);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            System.out.flush();
            if (ex instanceof JemmaException || ex instanceof java.io.IOException
                    || ex instanceof java.io.UncheckedIOException) {
                System.err.println("jemma: error: " + CliErrors.message(ex));
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
