package io.tidelog.node.scan;

/**
 * Where a {@link SwitchableScanner} says, for each message it reads (before its filters), whether it came from the
 * write-ahead buffer or from the backend: the buffer's hit ratio. Called on the scanner's thread; must be cheap and
 * take no lock.
 */
@FunctionalInterface
public interface ScannerReads {
    ScannerReads NONE = fromBuffer -> {
    };

    void read(boolean fromBuffer);
}
