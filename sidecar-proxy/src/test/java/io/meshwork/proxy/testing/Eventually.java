package io.meshwork.proxy.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds (config pushes are asynchronous); fails with a message if not. */
public final class Eventually {

    private Eventually() {
    }

    public static void await(Duration limit, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
