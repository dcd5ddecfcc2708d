/**
 * Training data: JSONL rows in Hugging Face's formats ({@link dev.jemma.train.data.ExampleFormat}) tokenized into
 * {@link dev.jemma.train.data.TrainingExample}s with causal-LM labels ({@link dev.jemma.train.data.TrainingData}), and
 * the deterministic, resumable order in which batches take them ({@link dev.jemma.train.data.BatchOrder}).
 */
package dev.jemma.train.data;
