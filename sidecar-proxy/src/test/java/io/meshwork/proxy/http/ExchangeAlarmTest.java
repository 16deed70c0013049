package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 streams' shared request timer: each alarm runs at its own time (to a few milliseconds, as a
 * task scheduled on its own would), whatever order they were set in; cancelled ones do not run; a task
 * can set its alarm again; one task is scheduled on the event loop, not one per stream.
 */
class ExchangeAlarmTest {

    @Test
    void streamsAlarmsRunAtTheirOwnTimesInAnyOrderAndCancelledOnesNever() throws Exception {
        EmbeddedChannel connection = new EmbeddedChannel();
        ExchangeAlarm.Streams streams = new ExchangeAlarm.Streams(connection);
        long[] startedAt = new long[1];
        List<String> fired = new ArrayList<>();
        long[] at = new long[4];
        ExchangeAlarm late = streams.newAlarm(() -> { fired.add("late"); at[0] = sinceMillis(startedAt[0]); });
        ExchangeAlarm early = streams.newAlarm(() -> { fired.add("early"); at[1] = sinceMillis(startedAt[0]); });
        ExchangeAlarm cancelled = streams.newAlarm(() -> fired.add("cancelled"));
        int[] rearms = {0};
        ExchangeAlarm[] again = new ExchangeAlarm[1];
        again[0] = streams.newAlarm(() -> {
            fired.add("again");
            at[2 + rearms[0]] = sinceMillis(startedAt[0]);
            if (rearms[0]++ == 0) {
                again[0].atMost(TimeUnit.MILLISECONDS.toNanos(150)); // as onTimer re-arms for the idle deadline
            }
        });
        // From here on (not before: a JVM's first lambdas can take tens of milliseconds on a busy machine).
        long start = System.nanoTime();
        startedAt[0] = start;
        late.atMost(TimeUnit.MILLISECONDS.toNanos(300));
        early.atMost(TimeUnit.MILLISECONDS.toNanos(100)); // earlier than the one scheduled: scheduled again
        cancelled.atMost(TimeUnit.MILLISECONDS.toNanos(150));
        again[0].atMost(TimeUnit.MILLISECONDS.toNanos(200));
        late.atMost(TimeUnit.MILLISECONDS.toNanos(400)); // a later time than set: the earlier one stays
        cancelled.cancel();
        // Exact by construction: one task on the event loop, due at the earliest alarm's time.
        assertThat(scheduledDelaysMillis(connection, start)).as("one scheduled task, at the earliest time")
                .singleElement().satisfies(due -> assertThat(due).isBetween(99L, 125L));

        while (fired.size() < 4 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            connection.runScheduledPendingTasks();
            Thread.sleep(1);
        }
        Thread.sleep(200);
        connection.runScheduledPendingTasks();

        // Never early, each in its time's order (to a few ms on an idle machine: printed, not asserted, as a
        // loaded one may run this thread late).
        System.out.printf("alarms at 100, 200, 300 and 200+150 ms ran at %d, %d, %d and %d ms%n", at[1], at[2], at[0], at[3]);
        assertThat(fired).containsExactlyInAnyOrder("early", "again", "late", "again");
        assertThat(fired.indexOf("early")).isLessThan(fired.indexOf("again"));
        assertThat(at[1]).isGreaterThanOrEqualTo(100L);
        assertThat(at[2]).isGreaterThanOrEqualTo(200L);
        assertThat(at[0]).isGreaterThanOrEqualTo(300L);
        assertThat(at[3]).isGreaterThanOrEqualTo(at[2] + 150);
        assertThat(scheduledDelaysMillis(connection, start)).as("nothing left armed, nothing scheduled").isEmpty();
        connection.finishAndReleaseAll();
    }

    @Test
    void anAlarmSetAfterOthersEndedRunsOnTime() throws Exception {
        EmbeddedChannel connection = new EmbeddedChannel();
        ExchangeAlarm.Streams streams = new ExchangeAlarm.Streams(connection);
        List<Long> fired = new ArrayList<>();
        long[] startedAt = new long[1];
        ExchangeAlarm first = streams.newAlarm(() -> fired.add(-1L));
        ExchangeAlarm second = streams.newAlarm(() -> fired.add(sinceMillis(startedAt[0])));
        long start = System.nanoTime();
        startedAt[0] = start;
        first.atMost(TimeUnit.MILLISECONDS.toNanos(50));
        first.cancel(); // the stream ended: the scheduled task stays, and finds nothing to do
        second.atMost(TimeUnit.MILLISECONDS.toNanos(120));
        assertThat(scheduledDelaysMillis(connection, start)).as("the first's task, which will find nothing due")
                .singleElement().satisfies(due -> assertThat(due).isBetween(49L, 75L));
        while (fired.isEmpty() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            connection.runScheduledPendingTasks();
            Thread.sleep(1);
        }
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0)).isGreaterThanOrEqualTo(120L);
        assertThat(scheduledDelaysMillis(connection, start)).isEmpty();
        connection.finishAndReleaseAll();
    }

    private static long sinceMillis(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** When the tasks scheduled (not cancelled) on the channel's embedded event loop are due, in ms from start. */
    private static List<Long> scheduledDelaysMillis(EmbeddedChannel channel, long start) {
        try {
            var field = io.netty.util.concurrent.AbstractScheduledEventExecutor.class.getDeclaredField("scheduledTaskQueue");
            field.setAccessible(true);
            var queue = (java.util.Collection<?>) field.get(channel.eventLoop());
            List<Long> due = new ArrayList<>();
            if (queue != null) {
                long now = System.nanoTime();
                for (Object task : queue) {
                    var future = (java.util.concurrent.ScheduledFuture<?>) task;
                    if (!future.isCancelled()) {
                        due.add(TimeUnit.NANOSECONDS.toMillis(now - start + future.getDelay(TimeUnit.NANOSECONDS)));
                    }
                }
            }
            return due;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
