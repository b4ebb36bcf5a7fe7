package io.tidelog.common;

/** Small helpers for the threads components own. */
public final class Threads {
    private Threads() {
    }

    /**
     * Waits until {@code thread} has ended, however often the caller is interrupted meanwhile (a component's
     * close must not return while its thread still runs), and keeps the caller's interrupt status.
     */
    public static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
