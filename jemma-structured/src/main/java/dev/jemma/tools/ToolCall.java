package dev.jemma.tools;

/** A call the model asked for: a unique id, the function name and its arguments as JSON text. */
public record ToolCall(String id, String name, String arguments) {}
