package io.meshwork.proxy.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * When an exchange's timer ({@link HttpProxyHandler}: route timeout, stream idle timeout) next runs its
 * task. Used on the event loop only.
 * <ul>
 * <li>An HTTP/1.1 connection's handler serves its exchanges one after another: {@link #scheduled} keeps
 *     one task on the event loop, re-armed lazily (an exchange that ends leaves it be; it finds nothing
 *     to do when it fires).</li>
 * <li>An HTTP/2 stream's handler serves one exchange: a task scheduled and cancelled per stream was a
 *     priority-queue insert and removal per request on the event loop (JFR, BENCHMARKS.md "Sidecar
 *     proxy"). Its streams share their connection's {@link Streams} instead, one scheduled task for the
 *     earliest deadline among them, as Envoy's and HAProxy's per-connection timers: arming a deadline
 *     later than the one already scheduled, or cancelling one, is a few field writes. It fires exactly at
 *     that deadline, so timeouts keep their precision.</li>
 * </ul>
 */
public abstract class ExchangeAlarm {

    /** Runs the task within {@code delayNanos} (at once for 0 or less); an earlier time already set stays. */
    abstract void atMost(long delayNanos);

    /** The task does not run (until set again). */
    abstract void cancel();

    /** An alarm with a scheduled task of its own on {@code executor}. */
    static ExchangeAlarm scheduled(EventExecutor executor, Runnable task) {
        return new Scheduled(executor, task);
    }

    private static final class Scheduled extends ExchangeAlarm {
        private final EventExecutor executor;
        private final Runnable fire;
        private ScheduledFuture<?> future;

        Scheduled(EventExecutor executor, Runnable task) {
            this.executor = executor;
            this.fire = () -> {
                future = null;
                task.run();
            };
        }

        @Override
        void atMost(long delayNanos) {
            if (future != null && future.getDelay(TimeUnit.NANOSECONDS) > delayNanos) {
                // Armed for a later deadline of an earlier exchange: it would fire too late for this one.
                future.cancel(false);
                future = null;
            }
            if (future == null) {
                future = executor.schedule(fire, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        void cancel() {
            if (future != null) {
                future.cancel(false);
                future = null;
            }
        }
    }

    /**
     * The alarms of one HTTP/2 connection's streams: a list of the armed ones (linked through the alarms,
     * so adding and removing one allocates nothing) and one task scheduled on the connection's event loop
     * for the earliest of their times, or later: it then re-arms itself for the earliest one left.
     */
    public static final class Streams implements Runnable {
        private final Channel connection;
        private Stream head;
        private ScheduledFuture<?> future;
        /** When {@link #future} runs (System.nanoTime()), meaningful while it is not null. */
        private long futureAt;
        private boolean running;

        public Streams(Channel connection) {
            this.connection = connection;
            connection.closeFuture().addListener(closed -> {
                if (future != null) {
                    future.cancel(false);
                    future = null;
                }
            });
        }

        ExchangeAlarm newAlarm(Runnable task) {
            return new Stream(this, task);
        }

        private void armed(Stream alarm) {
            if (alarm.linked) {
                return;
            }
            alarm.linked = true;
            alarm.prev = null;
            alarm.next = head;
            if (head != null) {
                head.prev = alarm;
            }
            head = alarm;
        }

        private void unlink(Stream alarm) {
            if (!alarm.linked) {
                return;
            }
            if (alarm.prev != null) {
                alarm.prev.next = alarm.next;
            } else {
                head = alarm.next;
            }
            if (alarm.next != null) {
                alarm.next.prev = alarm.prev;
            }
            alarm.prev = null;
            alarm.next = null;
            alarm.linked = false;
        }

        /** The task runs no later than {@code at}: earlier than it was scheduled, it is scheduled again. */
        private void scheduleBy(long at) {
            if (running || !connection.isOpen()) {
                return; // run() schedules for what is left when it ends
            }
            if (future != null) {
                if (futureAt - at <= 0) {
                    return;
                }
                future.cancel(false);
            }
            futureAt = at;
            future = connection.eventLoop().schedule(this, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            future = null;
            running = true;
            long now = System.nanoTime();
            Stream due = null;
            try {
                for (Stream alarm = head, next; alarm != null; alarm = next) {
                    next = alarm.next;
                    if (alarm.at - now <= 0) {
                        unlink(alarm);
                        alarm.next = due; // a list of the due ones, through the same field
                        due = alarm;
                    }
                }
                while (due != null) {
                    Stream alarm = due;
                    due = alarm.next;
                    alarm.next = null;
                    alarm.task.run(); // may arm it again, or others
                }
            } finally {
                running = false;
            }
            if (head == null) {
                return;
            }
            long earliest = head.at;
            for (Stream alarm = head.next; alarm != null; alarm = alarm.next) {
                if (alarm.at - earliest < 0) {
                    earliest = alarm.at;
                }
            }
            scheduleBy(earliest);
        }
    }

    private static final class Stream extends ExchangeAlarm {
        private final Streams streams;
        private final Runnable task;
        private Stream prev;
        private Stream next;
        private boolean linked;
        /** When the task runs (System.nanoTime()), meaningful while linked. */
        private long at;

        Stream(Streams streams, Runnable task) {
            this.streams = streams;
            this.task = task;
        }

        @Override
        void atMost(long delayNanos) {
            long at = System.nanoTime() + Math.max(0, delayNanos);
            if (linked && this.at - at <= 0) {
                return;
            }
            this.at = at;
            streams.armed(this);
            streams.scheduleBy(at);
        }

        @Override
        void cancel() {
            streams.unlink(this);
        }
    }
}
