package dev.jemma.constrain;

/**
 * Caps that keep hostile schemas and grammars from costing unbounded time or memory
 * (docs/RELIABILITY.md, "Schema and grammar bombs"). Exceeding one is a typed error, never a hang.
 *
 * @param maxNodes        grammar nodes a compilation may create (the "state count")
 * @param maxCompileNanos wall time a compilation may take
 * @param maxNesting      schema nesting / GBNF parenthesis depth
 * @param maxStackDepth   pushdown stack frames at run time (bounds recursion through {@code $ref} or rules)
 * @param maxStacks       parallel parses (ambiguity) a state may hold
 * @param maxSourceChars  size of a schema or grammar text
 */
public record ConstraintLimits(int maxNodes, long maxCompileNanos, int maxNesting, int maxStackDepth, int maxStacks,
                               int maxSourceChars) {
    public static final ConstraintLimits DEFAULT =
            new ConstraintLimits(200_000, 1_000_000_000L, 64, 2_048, 256, 4 << 20);
}
