package io.meshwork.proxy.filter;

import java.time.Duration;

/** What a {@link RouteFilter} does with a request: let it go on, answer it, or hold it a while first. */
public sealed interface FilterAction {

    /** The request goes on to the next filter, then the router. */
    FilterAction CONTINUE = new Continue();

    record Continue() implements FilterAction {
    }

    /** Answered here; nothing goes upstream. */
    record Reply(LocalReply reply) implements FilterAction {
    }

    /**
     * Held for {@code delay} on the request's event loop (a timer: nothing blocks), then answered with {@code then},
     * or, when it is null, on to the next filter.
     */
    record Delay(Duration delay, LocalReply then) implements FilterAction {
    }
}
