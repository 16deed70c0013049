package io.meshwork.proxy.route.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.cluster.ClusterConfig;
import io.meshwork.proxy.cluster.LoadBalancer;
import io.meshwork.proxy.cluster.RetryBudget;
import io.meshwork.proxy.cluster.RetryLimit;
import io.meshwork.proxy.endpoint.EndpointConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The tries of one request, in memory: an embedded event loop with a frozen clock runs the timers. */
class RetryAttemptsTest {

    private static final EndpointConfig A = new EndpointConfig("127.0.0.1", 9001, true, "pay-a", "default", "v1");
    private static final EndpointConfig B = new EndpointConfig("127.0.0.1", 9002, true, "pay-b", "default", "v1");

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final AtomicInteger retriesRun = new AtomicInteger();
    private final AtomicInteger timeouts = new AtomicInteger();
    private final RetryAttempts.Exchange exchange = new RetryAttempts.Exchange() {
        @Override
        public void retryNow() {
            retriesRun.incrementAndGet();
        }

        @Override
        public void tryTimedOut() {
            timeouts.incrementAndGet();
        }
    };

    {
        loop.freezeTime();
    }

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    private static RetryPolicy policy(int retries, Duration perTry, RetryCondition... on) {
        return new RetryPolicy(retries, EnumSet.copyOf(List.of(on)), Set.of(), perTry, Duration.ofMillis(25),
                Duration.ofMillis(250), true, 5);
    }

    private RetryAttempts attempts(RetryPolicy policy, RetryBudget budget, RetryLimit limit) {
        return new RetryAttempts(policy, budget, limit, loop.eventLoop(), exchange);
    }

    @Test
    void aRetryWaitsForItsJitteredBackoffOnTheEventLoop() {
        RetryAttempts tries = attempts(policy(3, Duration.ZERO, RetryCondition.SERVER_ERROR), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        tries.tryStarted(A);

        assertThat(tries.retryAfter(true, true, 1)).isTrue();
        loop.advanceTimeBy(12, TimeUnit.MILLISECONDS); // the first backoff is 25 ms ± 50%: at least 12.5 ms
        loop.runScheduledPendingTasks();
        assertThat(retriesRun).hasValue(0);
        loop.advanceTimeBy(26, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(retriesRun).hasValue(1);
        assertThat(tries.retries()).isEqualTo(1);
    }

    @Test
    void retriesStopAtNumRetriesAndForFailuresThePolicyDoesNotName() {
        RetryAttempts tries = attempts(policy(1, Duration.ZERO, RetryCondition.CONNECT_FAILURE), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        assertThat(tries.retryAfter(tries.policy().retries(RetryPolicy.Failure.RESET), true, 1)).isFalse();
        assertThat(tries.retryAfter(tries.policy().retries(RetryPolicy.Failure.CONNECT_FAILURE), true, 1)).isTrue();
        assertThat(tries.retryAfter(true, true, 1)).as("one retry only").isFalse();
    }

    @Test
    void theBudgetAllowsItsShareOfTheRequestsInFlightAndCountsWhatItRefuses() {
        RetryBudget budget = new RetryBudget();
        RetryLimit twentyPercent = new RetryLimit(20, 1, 3);
        RetryPolicy policy = policy(3, Duration.ZERO, RetryCondition.SERVER_ERROR);
        RetryAttempts first = attempts(policy, budget, twentyPercent);
        RetryAttempts second = attempts(policy, budget, twentyPercent);
        RetryAttempts third = attempts(policy, budget, twentyPercent);

        assertThat(first.retryAfter(true, true, 10)).isTrue();
        assertThat(second.retryAfter(true, true, 10)).isTrue();
        assertThat(third.retryAfter(true, true, 10)).as("20% of 10 in flight is 2").isFalse();
        assertThat(budget.inFlight()).isEqualTo(2);
        assertThat(budget.overflows()).isEqualTo(1);

        first.close();
        assertThat(third.retryAfter(true, true, 10)).isTrue();
        second.close();
        third.close();
        assertThat(budget.inFlight()).isZero();
        assertThat(budget.retries()).isEqualTo(3);
    }

    @Test
    void aBodyLargerThanTheReplayLimitIsNotRetried() {
        RetryAttempts tries = attempts(policy(3, Duration.ZERO, RetryCondition.SERVER_ERROR), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        HttpContent big = new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[RequestReplay.LIMIT_BYTES + 1]));
        tries.body().keep(big);
        big.release();

        assertThat(tries.retryAfter(true, true, 1)).isFalse();
        assertThat(big.refCnt()).as("the kept view was let go").isZero();
    }

    @Test
    void aKeptBodyIsReplayedWholeForEachTry() {
        RetryAttempts tries = attempts(policy(3, Duration.ZERO, RetryCondition.SERVER_ERROR), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        HttpContent part = new DefaultHttpContent(Unpooled.copiedBuffer(new byte[] {1, 2, 3}));
        tries.body().keep(part);
        part.content().skipBytes(3); // what writing it upstream does
        part.release();

        List<HttpContent> again = tries.body().replay();
        assertThat(again).singleElement().satisfies(c -> assertThat(c.content().readableBytes()).isEqualTo(3));
        again.forEach(HttpContent::release);
        tries.close();
    }

    @Test
    void thePerTryTimeoutFiresUnlessTheResponseBegins() {
        RetryAttempts tries = attempts(policy(1, Duration.ofMillis(200), RetryCondition.RESET), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        tries.tryStarted(A);
        loop.advanceTimeBy(199, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(timeouts).hasValue(0);
        loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
        assertThat(timeouts).hasValue(1);

        tries.tryStarted(B);
        tries.responseStarted();
        loop.advanceTimeBy(1, TimeUnit.SECONDS);
        loop.runScheduledPendingTasks();
        assertThat(timeouts).hasValue(1);
    }

    @Test
    void aRetryPicksAnEndpointNotTriedYet() {
        ClusterConfig cluster = new ClusterConfig("c", ClusterConfig.LbPolicy.ROUND_ROBIN, Duration.ofSeconds(1), false,
                "pay", "c", List.of(A, B));
        LoadBalancer balancer = new LoadBalancer(cluster, Map.of(A.hostPort(), new AtomicInteger(),
                B.hostPort(), new AtomicInteger()));
        RetryAttempts tries = attempts(policy(3, Duration.ZERO, RetryCondition.RESET), new RetryBudget(),
                RetryLimit.ENVOY_DEFAULT);
        EndpointConfig first = balancer.pick();
        tries.tryStarted(first);

        for (int i = 0; i < 20; i++) {
            assertThat(tries.pick(balancer)).isNotEqualTo(first);
        }
    }

    @Test
    void grpcStatusesInTheResponseHeadersAreRetriedAsNamed() {
        RetryPolicy unavailableOnly = policy(1, Duration.ZERO, RetryCondition.UNAVAILABLE);
        assertThat(unavailableOnly.retries(200, new DefaultHttpHeaders().set("grpc-status", "14"))).isTrue();
        assertThat(unavailableOnly.retries(200, new DefaultHttpHeaders().set("grpc-status", "4"))).isFalse();
        assertThat(unavailableOnly.retries(503, new DefaultHttpHeaders())).isFalse();
        assertThat(policy(1, Duration.ZERO, RetryCondition.GATEWAY_ERROR).retries(500, new DefaultHttpHeaders()))
                .isFalse();
    }
}
