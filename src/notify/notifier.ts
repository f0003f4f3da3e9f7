/**
 * `--notify <url>` while a run runs (run, resume, rollback, and rehearse/verify before
 * their final report): one JSON POST per step start, result, failure and undo, plus the
 * run's start and end, so the incident channel follows a failover as it happens.
 *
 * Each body carries a Slack-compatible `text` line beside the structured fields (`event`,
 * `runId`, `runbook`, `stepId`, …): a Slack or Mattermost incoming webhook shows the line,
 * anything else reads the fields (docs/notify.md).
 *
 * It never blocks or fails the run: the engine hands every journaled entry to `observe`,
 * which only queues an event; POSTs go out one at a time in the background, in order, with
 * a timeout per attempt and bounded retries (p-retry) for refused connections, timeouts,
 * 408, 429 and 5xx. After two events in a row could not be delivered, the rest are dropped
 * (a dead webhook must not add minutes of timeouts to a failover). When the command ends,
 * `settleNotifiers` waits a bounded time for what is queued and returns a warning to show.
 */
import pRetry, { AbortError } from 'p-retry';
import type { EntryBody, RunMode } from '../journal/format.js';

export const NOTIFY_EVENTS = ['run-start', 'step-start', 'step-result', 'step-failed', 'undo', 'run-end'] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** The JSON body of one POST. */
export interface NotifyEvent {
  /** Version of this body's shape. */
  version: 1;
  event: NotifyEventName;
  /** One line for people (Slack/Mattermost/Teams-compatible). */
  text: string;
  at: string;
  runId: string;
  runbook: string;
  mode: RunMode;
  who: string;
  stepId?: string;
  stepType?: string;
  attempt?: number;
  /** step-result: passed or skipped; undo: start, done or failed; run-end: the engine's final state. */
  outcome?: string;
  durationMs?: number;
  summary?: string;
  error?: string;
  exitCode?: number;
}

export interface NotifierOptions {
  url: string;
  runId: string;
  runbook: { name: string; steps: ReadonlyArray<{ id: string; type: string }> };
  mode: RunMode;
  who: string;
  /** Which events to send (default: all). */
  events?: readonly NotifyEventName[];
  /** Keeps secrets out of what is sent. */
  redact?: (text: string) => string;
  userAgent?: string;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Attempts per event, the first included. Default 3. */
  attempts?: number;
  /** Pause before the first retry, doubled each time (capped at 5 s). Default 500 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** Consecutive undeliverable events after which the rest are dropped. */
const GIVE_UP_AFTER = 2;

export class RunNotifier {
  private queue: Promise<void> = Promise.resolve();
  private readonly wanted: ReadonlySet<NotifyEventName>;
  private readonly types: Map<string, string>;
  private consecutiveFailures = 0;
  private failed = 0;
  private dropped = 0;
  private lastError: string | undefined;
  /** Steps the way back did not undo itself (rollback: false, or done by hand): a rollback's end names them. */
  private readonly notUndone: string[] = [];
  sent = 0;

  constructor(private readonly o: NotifierOptions) {
    this.wanted = new Set(o.events ?? NOTIFY_EVENTS);
    this.types = new Map(o.runbook.steps.map((s) => [s.id, s.type]));
  }

  /** The engine's observer: every journaled entry, as it is written. Never throws, never waits. */
  readonly observe = (entry: EntryBody): void => {
    try {
      const event = this.eventFor(entry);
      if (event) this.send(event);
    } catch {
      // A notification is never worth failing a run for.
    }
  };

  /** Queue one event (the run's start is sent this way by the CLI). */
  send(partial: Omit<NotifyEvent, 'version' | 'at' | 'runId' | 'runbook' | 'mode' | 'who'>): void {
    if (!this.wanted.has(partial.event)) return;
    const redact = this.o.redact ?? ((t: string) => t);
    const event: NotifyEvent = {
      version: 1,
      at: new Date().toISOString(),
      runId: this.o.runId,
      runbook: this.o.runbook.name,
      mode: this.o.mode,
      who: this.o.who,
      ...partial,
      text: redact(partial.text),
      ...(partial.error !== undefined ? { error: redact(partial.error) } : {}),
      ...(partial.summary !== undefined ? { summary: redact(partial.summary) } : {}),
    };
    this.queue = this.queue.then(() => this.deliver(event));
  }

  private eventFor(entry: EntryBody): Parameters<RunNotifier['send']>[0] | undefined {
    const head = `lifeboat ${this.o.mode} ${this.o.runbook.name}`;
    const step = (id: string) => ({ stepId: id, stepType: this.types.get(id) ?? 'unknown' });
    switch (entry.type) {
      case 'step-start':
        return { event: 'step-start', ...step(entry.stepId), attempt: entry.attempt, text: `${head}: ▶ ${entry.stepId} started${entry.attempt > 1 ? ` (attempt ${entry.attempt})` : ''}` };
      case 'result':
        return {
          event: 'step-result',
          ...step(entry.stepId),
          outcome: 'passed',
          durationMs: entry.durationMs,
          ...(entry.summary ? { summary: entry.summary } : {}),
          text: `${head}: ✔ ${entry.stepId} done in ${seconds(entry.durationMs)}${entry.summary ? ` — ${entry.summary}` : ''}`,
        };
      case 'skipped':
        return { event: 'step-result', ...step(entry.stepId), outcome: 'skipped', summary: entry.reason, text: `${head}: ⤼ ${entry.stepId} skipped: ${entry.reason}` };
      case 'step-failed':
        return { event: 'step-failed', ...step(entry.stepId), durationMs: entry.durationMs, error: entry.error, text: `${head}: ✘ ${entry.stepId} FAILED: ${firstLine(entry.error)}` };
      case 'undo-start':
        return { event: 'undo', ...step(entry.stepId), outcome: 'start', text: `${head}: ↶ undoing ${entry.stepId}` };
      case 'undo-done': {
        const how = entry.how === 'not-undone' ? 'NOT undone: it cannot be undone (rollback: false)' : entry.how === 'by-hand' ? 'undone by hand (journaled)' : `undone in ${seconds(entry.durationMs)}`;
        if (entry.how === 'not-undone' || entry.how === 'by-hand') this.notUndone.push(`${entry.stepId} (${entry.how === 'by-hand' ? 'by hand' : 'not undone'})`);
        return { event: 'undo', ...step(entry.stepId), outcome: 'done', durationMs: entry.durationMs, text: `${head}: ${entry.how === 'not-undone' ? '✘' : '↶'} ${entry.stepId} ${how}` };
      }
      case 'undo-failed':
        return { event: 'undo', ...step(entry.stepId), outcome: 'failed', error: entry.error, text: `${head}: ✘ undo of ${entry.stepId} FAILED: ${firstLine(entry.error)} — a person must look now` };
      case 'run-end':
        return {
          event: 'run-end',
          outcome: entry.outcome,
          exitCode: entry.exitCode,
          durationMs: entry.durationMs,
          text: `${head}: ${entry.outcome === 'rolledBack' && this.notUndone.length > 0 ? `↶ rolled back, except: ${this.notUndone.join(', ')}` : (END_TEXT[entry.outcome] ?? entry.outcome)} (exit ${entry.exitCode}, ${seconds(entry.durationMs)}) — run ${this.o.runId}`,
        };
      default:
        return undefined;
    }
  }

  private async deliver(event: NotifyEvent): Promise<void> {
    if (this.consecutiveFailures >= GIVE_UP_AFTER) {
      this.dropped += 1;
      return;
    }
    const doFetch = this.o.fetch ?? fetch;
    const attempts = Math.max(1, this.o.attempts ?? 3);
    const body = JSON.stringify(event);
    try {
      await pRetry(
        async () => {
          const res = await doFetch(this.o.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': this.o.userAgent ?? 'lifeboat' },
            body,
            signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          const why = `${origin(this.o.url)} answered HTTP ${res.status}`;
          if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(why);
          throw new AbortError(why);
        },
        { retries: attempts - 1, minTimeout: this.o.backoffMs ?? 500, maxTimeout: 5000, factor: 2, randomize: true },
      );
      this.sent += 1;
      this.consecutiveFailures = 0;
    } catch (err) {
      this.failed += 1;
      this.consecutiveFailures += 1;
      this.lastError = err instanceof Error ? (err.name === 'TimeoutError' ? `${origin(this.o.url)} did not answer in time` : causeText(err)) : String(err);
    }
  }

  /** Wait for what is queued, at most `maxWaitMs`; a warning for the operator when something was not delivered. */
  async settle(maxWaitMs = 10_000): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.queue.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), maxWaitMs);
        timer.unref();
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (!timedOut && this.failed === 0 && this.dropped === 0) return undefined;
    const parts = [`${this.failed} notification${this.failed === 1 ? '' : 's'} to ${origin(this.o.url)} could not be delivered`];
    if (this.lastError) parts.push(`last: ${this.lastError}`);
    if (this.dropped) parts.push(`${this.dropped} more dropped`);
    if (timedOut) parts.push('stopped waiting for the rest');
    return `${parts.join('; ')} (the run's result stands)`;
  }
}

const END_TEXT: Record<string, string> = {
  completed: '✔ completed',
  rolledBack: '↶ rolled back: every completed step was undone',
  aborted: '■ aborted',
  suspended: '‖ interrupted, state saved',
  refused: '✘ refused before any change',
  rollbackFailed: '✘ ROLLBACK FAILED — a person must look now',
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** Webhook URLs often carry a token: messages name only the origin. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
}

function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}

// ------------------------------------------------------------------ the live notifiers

const live = new Set<RunNotifier>();

/**
 * The observer for a run's engine, or undefined without `--notify`: sends the run's start
 * at once. The CLI waits for it (bounded) through settleNotifiers() before exiting.
 */
export function notifierFor(url: string | undefined, options: Omit<NotifierOptions, 'url'>): ((entry: EntryBody) => void) | undefined {
  if (url === undefined) return undefined;
  const n = new RunNotifier({ ...options, url });
  live.add(n);
  n.send({ event: 'run-start', text: `lifeboat ${options.mode} ${options.runbook.name}: started by ${options.who} — run ${options.runId}` });
  return n.observe;
}

/** Wait (at most maxWaitMs in all) for every notifier's queue; their warnings. */
export async function settleNotifiers(maxWaitMs = 10_000): Promise<string[]> {
  const all = [...live];
  live.clear();
  const warnings = await Promise.all(all.map((n) => n.settle(maxWaitMs)));
  return warnings.filter((w): w is string => w !== undefined);
}
