/**
 * Evaluation: evaluation rows ({@link dev.jemma.train.eval.EvalSet}), few-shot prompts
 * ({@link dev.jemma.train.eval.PromptBuilder}) and the extraction metrics ({@link dev.jemma.train.eval.Scorer}); the
 * CLI's {@code jemma eval} drives the model.
 */
package dev.jemma.train.eval;
