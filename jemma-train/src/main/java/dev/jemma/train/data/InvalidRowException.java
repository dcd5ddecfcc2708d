package dev.jemma.train.data;

/** One row's fault, raised while a row is decoded; {@link TrainingData} adds the file and line. */
final class InvalidRowException extends RuntimeException {
    InvalidRowException(String reason) {
        super(reason, null, false, false);
    }
}
