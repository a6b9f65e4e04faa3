/** Reading workflow histories in tests: event counts, timers, run inputs, and "has the workflow seen it yet". */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { vi } from 'vitest';
import type { SparkJobInput } from '../../contract';
import type { JobHandle } from './jobHarness';

export const EventType = temporal.api.enums.v1.EventType;
export type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export function eventsOfType(history: History, type: temporal.api.enums.v1.EventType): HistoryEvent[] {
  return (history.events ?? []).filter((e) => e.eventType === type);
}

function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(String(d?.seconds ?? 0)) * 1000 + (d?.nanos ?? 0) / 1e6;
}

/** The workflow's timers (backoff sleeps, deadlines), in seconds, in the order they were started. */
export function timerSeconds(history: History): number[] {
  return eventsOfType(history, EventType.EVENT_TYPE_TIMER_STARTED).map(
    (e) => durationMs(e.timerStartedEventAttributes?.startToFireTimeout) / 1000,
  );
}

/** The timers that fired, in seconds: backoff sleeps and expired deadlines, not deadlines cleared in time. */
export function firedTimerSeconds(history: History): number[] {
  const fired = new Set(eventsOfType(history, EventType.EVENT_TYPE_TIMER_FIRED).map((e) => e.timerFiredEventAttributes?.timerId));
  return eventsOfType(history, EventType.EVENT_TYPE_TIMER_STARTED)
    .filter((e) => fired.has(e.timerStartedEventAttributes?.timerId))
    .map((e) => durationMs(e.timerStartedEventAttributes?.startToFireTimeout) / 1000);
}

/** The activity types scheduled, in order. */
export function activitiesScheduled(history: History): string[] {
  return eventsOfType(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?',
  );
}

/** The input this run was started with (decoded from its first event). */
export function runInput(history: History): SparkJobInput {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error('history does not start with WorkflowExecutionStarted and an input');
  return defaultPayloadConverter.fromPayload<SparkJobInput>(payload);
}

/** The run that followed this one by continue-as-new, if any. */
export function continuedAsNewTo(history: History): string | undefined {
  const last = history.events?.at(-1);
  return last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
}

const REQUEST_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
]);

/**
 * Waits until every signal, cancel request and Update recorded so far has been handed to the
 * workflow: a workflow task completed after the last of them.
 */
export async function waitUntilRequestsHandled(handle: JobHandle): Promise<void> {
  await vi.waitFor(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const lastRequest = events.findLastIndex((e) => REQUEST_EVENTS.has(e.eventType ?? 0));
      const lastTaskDone = events.findLastIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      if (lastRequest < 0) throw new Error('no request recorded yet');
      if (lastTaskDone < lastRequest) throw new Error('the workflow has not handled the last request yet');
    },
    { timeout: 20_000, interval: 25 },
  );
}
