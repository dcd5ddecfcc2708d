/**
 * Fine-tuning: the backward pass of the core's forward pass, LoRA and full fine-tuning, the optimizer, training
 * data and checkpoints. Depends on jemma-core only; the CLI's {@code finetune} sits above it.
 */
package dev.jemma.train;
