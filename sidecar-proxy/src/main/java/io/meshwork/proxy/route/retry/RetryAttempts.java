package io.meshwork.proxy.route.retry;

import io.github.resilience4j.core.IntervalFunction;
import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.cluster.RetryBudget;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tries of one request under a {@link RetryPolicy}: which failures are tried again, the request body kept for
 * it ({@link RequestReplay}), the cluster's {@link RetryBudget} place a retry holds until the request ends or fails
 * again, the backoff (Resilience4j's exponential random backoff: the n-th retry waits about {@code base × 2ⁿ⁻¹} ±50%,
 * at most {@code max}), the endpoint of the next try, and the per-try timeout. Its timers run on the request's event
 * loop and call back the {@link Exchange}; nothing here blocks. Used only from that event loop.
 */
public final class RetryAttempts {

    /** The exchange the tries belong to; called on its event loop when a timer fires. */
    public interface Exchange {

        /** The backoff is over: send the request again ({@link #pick} the endpoint). */
        void retryNow();

        /** The try in progress passed its per-try timeout before a response. */
        void tryTimedOut();
    }

    private static final double BACKOFF_MULTIPLIER = 2.0;
    private static final double BACKOFF_JITTER = 0.5;

    private final RetryPolicy policy;
    private final RetryBudget budget;
    private final RetryLimit limit;
    private final EventExecutor executor;
    private final Exchange exchange;
    private final RequestReplay body = new RequestReplay();
    private final List<EndpointConfig> tried = new ArrayList<>(2);
    private IntervalFunction backoff;
    private int retries;
    /** Identifies the timer that may still fire; an older one finds a newer number and does nothing. */
    private int timerToken;
    private ScheduledFuture<?> timer;
    private boolean holdsBudget;
    private boolean refusedByLimit;
    private boolean closed;

    public RetryAttempts(RetryPolicy policy, RetryBudget budget, RetryLimit limit, EventExecutor executor,
                         Exchange exchange) {
        this.policy = policy;
        this.budget = budget;
        this.limit = limit;
        this.executor = executor;
        this.exchange = exchange;
    }

    /** The request body as sent, for the next try. */
    public RequestReplay body() {
        return body;
    }

    /** Retries started so far (0 during the first try). */
    public int retries() {
        return retries;
    }

    public RetryPolicy policy() {
        return policy;
    }

    /** A try begins on {@code endpoint}: its per-try timeout starts. */
    public void tryStarted(EndpointConfig endpoint) {
        tried.add(endpoint);
        if (!policy.perTryTimeout().isZero()) {
            schedule(policy.perTryTimeout().toNanos(), exchange::tryTimedOut);
        }
    }

    /** The response began: it goes to the client, so there is nothing more to retry or time out per try. */
    public void responseStarted() {
        cancelTimer();
    }

    /**
     * After a failed try ({@code retriable}: the policy's conditions hold for it): whether it is retried. It is when
     * retries are left, the request was sent whole and its body kept, and the budget has room with
     * {@code activeRequests} in flight to the cluster; then {@link Exchange#retryNow()} comes after the backoff.
     */
    public boolean retryAfter(boolean retriable, boolean requestComplete, int activeRequests) {
        cancelTimer();
        refusedByLimit = false;
        if (closed || !retriable || retries >= policy.numRetries() || !requestComplete || !body.complete()) {
            return false;
        }
        if (holdsBudget) {
            budget.release();
            holdsBudget = false;
        }
        if (!budget.tryAcquire(limit, activeRequests)) {
            refusedByLimit = true;
            return false;
        }
        holdsBudget = true;
        retries++;
        if (backoff == null) {
            backoff = IntervalFunction.ofExponentialRandomBackoff(policy.baseInterval(), BACKOFF_MULTIPLIER,
                    BACKOFF_JITTER, policy.maxInterval());
        }
        schedule(TimeUnit.MILLISECONDS.toNanos(backoff.apply(retries)), exchange::retryNow);
        return true;
    }

    /** Whether the last failed try was not retried only because the cluster's retry limit was reached. */
    public boolean refusedByLimit() {
        return refusedByLimit;
    }

    /** The endpoint of the next try: with {@code previous_hosts}, one not tried yet when the balancer offers one. */
    public EndpointConfig pick(LoadBalancer balancer) {
        EndpointConfig picked = balancer.pick();
        for (int i = 1; policy.otherHosts() && picked != null && tried.contains(picked)
                && i < policy.hostSelectionAttempts(); i++) {
            picked = balancer.pick();
        }
        return picked;
    }

    /** The request ended: timers stop, the budget place and the kept body are given back. */
    public void close() {
        closed = true;
        cancelTimer();
        if (holdsBudget) {
            budget.release();
            holdsBudget = false;
        }
        body.release();
    }

    private void schedule(long nanos, Runnable action) {
        cancelTimer();
        int token = ++timerToken;
        timer = executor.schedule(() -> {
            if (!closed && token == timerToken) {
                timer = null;
                action.run();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        timerToken++;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
