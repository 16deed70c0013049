package io.meshwork.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
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
        long earlyFrom = loopNanos(connection);
        early.atMost(TimeUnit.MILLISECONDS.toNanos(100)); // earlier than the one scheduled: scheduled again
        long earlyTo = loopNanos(connection);
        cancelled.atMost(TimeUnit.MILLISECONDS.toNanos(150));
        again[0].atMost(TimeUnit.MILLISECONDS.toNanos(200));
        late.atMost(TimeUnit.MILLISECONDS.toNanos(400)); // a later time than set: the earlier one stays
        cancelled.cancel();
        // Exact by construction: one task on the event loop, due at the earliest alarm's time.
        assertThat(scheduledDeadlines(connection)).as("one scheduled task, at the earliest time")
                .singleElement().satisfies(due -> assertThat(due).isBetween(
                        earlyFrom + TimeUnit.MILLISECONDS.toNanos(100), earlyTo + TimeUnit.MILLISECONDS.toNanos(100)));

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
        assertThat(scheduledDeadlines(connection)).as("nothing left armed, nothing scheduled").isEmpty();
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
        long firstFrom = loopNanos(connection);
        first.atMost(TimeUnit.MILLISECONDS.toNanos(50));
        long firstTo = loopNanos(connection);
        first.cancel(); // the stream ended: the scheduled task stays, and finds nothing to do
        second.atMost(TimeUnit.MILLISECONDS.toNanos(120));
        assertThat(scheduledDeadlines(connection)).as("the first's task, which will find nothing due")
                .singleElement().satisfies(due -> assertThat(due).isBetween(
                        firstFrom + TimeUnit.MILLISECONDS.toNanos(50), firstTo + TimeUnit.MILLISECONDS.toNanos(50)));
        while (fired.isEmpty() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
            connection.runScheduledPendingTasks();
            Thread.sleep(1);
        }
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0)).isGreaterThanOrEqualTo(120L);
        assertThat(scheduledDeadlines(connection)).isEmpty();
        connection.finishAndReleaseAll();
    }

    private static long sinceMillis(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** The embedded event loop's clock, which its scheduled tasks' deadlines are on. */
    private static long loopNanos(EmbeddedChannel channel) {
        return ((AbstractScheduledEventExecutor) channel.eventLoop()).ticker().nanoTime();
    }

    /**
     * The deadlines of the tasks scheduled (not cancelled) on the channel's embedded event loop, on its
     * clock. Read from the tasks, not as delays from now, so that the test thread paused by a loaded machine
     * between two clock reads cannot move them (CI once saw a 100 ms task "due at 95 ms" that way).
     */
    private static List<Long> scheduledDeadlines(EmbeddedChannel channel) {
        try {
            var queueField = AbstractScheduledEventExecutor.class.getDeclaredField("scheduledTaskQueue");
            queueField.setAccessible(true);
            var queue = (java.util.Collection<?>) queueField.get(channel.eventLoop());
            List<Long> deadlines = new ArrayList<>();
            if (queue != null) {
                for (Object task : queue) {
                    if (!((java.util.concurrent.Future<?>) task).isCancelled()) {
                        var deadline = task.getClass().getDeclaredMethod("deadlineNanos");
                        deadline.setAccessible(true);
                        deadlines.add((Long) deadline.invoke(task));
                    }
                }
            }
            return deadlines;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
