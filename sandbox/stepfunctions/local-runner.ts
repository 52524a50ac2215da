import { StateMachine } from 'aws-local-stepfunctions';
import type { VirtualClock } from '../aws/clock.ts';
import { steppedTimeOf } from './stepped-time.ts';
import type { SynthesizedRunbook } from './synth.ts';

// aws-local-stepfunctions 3 uses Promise.withResolvers, which Node 20 lacks.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const TOKEN_SENTINEL = 'LOCAL-TASK-TOKEN';

export type TaskHandler = (event: unknown) => Promise<unknown>;

/** Where task crashes come from: the local AWS's crash faults. */
export interface CrashSource {
  onCrash(
    listener: (crash: { kind: string; service: string; operation: string }) => void,
  ): () => void;
}

/**
 * What Step Functions reports for a Lambda that died (timed out, ran out of memory, its runtime
 * exited) rather than threw: AWS documents these as `Lambda.Unknown`.
 */
export const LAMBDA_CRASH_ERROR = 'Lambda.Unknown';

export interface GateOpened {
  taskToken: string;
  /** What the gate handler returned (its gate id). */
  result: unknown;
  /** The gate task's payload: executionId, stepId, kind. */
  payload: Record<string, unknown>;
}

export interface LocalRunOptions {
  input: Record<string, unknown>;
  executionName: string;
  clock: VirtualClock;
  /**
   * `stepped`: Wait states cost no real time, the virtual clock jumps by the wait (tests,
   * benchmarks). `paced`: waits take wait/speed real seconds (a person watching).
   */
  time: 'stepped' | 'paced';
  onGate(gate: GateOpened): void;
}

/**
 * Runs the synthesized state machine with `aws-local-stepfunctions`, each Lambda task mapped to
 * its real handler. `.waitForTaskToken` is emulated: a sentinel token in the context object is
 * swapped for a fresh one per call, and the task resolves when `sendTaskSuccess` gets it.
 */
export class LocalStepFunctions {
  private readonly waiting = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private tokens = 0;
  /** Tokens whose task has been resumed. */
  private readonly used = new Set<string>();
  /** Task invocations running now, each with the way to kill it. */
  private readonly inFlight = new Set<(error: Error) => void>();
  readonly events: { type: string; state?: { name: string } }[] = [];
  /** The same events, per execution (several run at once in a region-wide incident). */
  private readonly byExecution = new Map<string, { type: string; state?: { name: string } }[]>();

  /** @param crashes kills the running tasks when a crash fault fires. @default none */
  constructor(
    private readonly runbook: SynthesizedRunbook,
    private readonly handlers: Record<string, TaskHandler>,
    crashes?: CrashSource,
  ) {
    crashes?.onCrash(({ kind, service, operation }) => {
      const when = kind === 'crash-before' ? 'before' : 'after';
      for (const kill of this.inFlight) {
        const death = new Error(
          `The task died ${when} ${service}:${operation} (${kind} fault): no answer, no result.`,
        );
        death.name = LAMBDA_CRASH_ERROR;
        kill(death);
      }
    });
  }

  /**
   * The history events AWS Step Functions would have recorded for the states this run went
   * through: a Lambda task writes 5 (entered, scheduled, started, succeeded, exited), a task with
   * a token 6, a retried attempt 3 more, other states 2, the execution 2. The limit is 25,000.
   */
  historyEventCount(executionName?: string): number {
    const states = this.runbook.definition.States;
    let count = 2;
    const events =
      executionName === undefined ? this.events : (this.byExecution.get(executionName) ?? []);
    for (const event of events) {
      if (event.type === 'StateRetried') count += 3;
      if (event.type !== 'StateEntered' || !event.state) continue;
      const state = states[event.state.name];
      if (state?.Type !== 'Task') count += 2;
      else count += String(state.Resource).endsWith('.waitForTaskToken') ? 6 : 5;
    }
    return count;
  }

  /**
   * Resumes the task waiting on the token. A token already used is no error, as SendTaskSuccess
   * answers TaskTimedOut for it and the adapter takes that as done: an answer sent again after a
   * crash resumes nothing twice.
   */
  /** Whether a task of this runner waits for the token. */
  waitsFor(taskToken: string): boolean {
    return this.waiting.has(taskToken);
  }

  sendTaskSuccess(taskToken: string, output: unknown): void {
    if (this.used.has(taskToken)) return;
    const waiter = this.waiting.get(taskToken);
    if (!waiter) throw new Error(`No task is waiting for token ${taskToken.slice(0, 12)}…`);
    this.waiting.delete(taskToken);
    this.used.add(taskToken);
    waiter.resolve(output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): void {
    const waiter = this.waiting.get(taskToken);
    if (!waiter) throw new Error(`No task is waiting for token ${taskToken.slice(0, 12)}…`);
    this.waiting.delete(taskToken);
    const failure = new Error(cause);
    failure.name = error;
    waiter.reject(failure);
  }

  async run(options: LocalRunOptions): Promise<unknown> {
    const overrides: Record<string, TaskHandler> = {};
    const waits: Record<string, number> = {};
    const retries: Record<string, number> = {};
    for (const [name, state] of Object.entries(this.runbook.definition.States)) {
      if (state.Type === 'Wait') waits[name] = 0;
      if (state.Type !== 'Task') continue;
      retries[name] = options.time === 'stepped' ? 0 : 1000;
      overrides[name] = this.override(name, state, options);
    }
    // The run's own timeout (30 days) overflows Node's timers; the simulated run needs none.
    const { TimeoutSeconds: _timeout, ...definition } = this.runbook.definition;
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false },
    });
    const execution = machine.run(options.input as never, {
      overrides: {
        taskResourceLocalHandlers: overrides as never,
        waitTimeOverrides: waits,
        retryIntervalOverrides: retries,
      },
      context: {
        Execution: { Name: options.executionName, Id: `local:${options.executionName}` },
        Task: { Token: TOKEN_SENTINEL },
      } as never,
    });
    const collect = (async () => {
      for await (const event of execution.eventLogs) {
        this.events.push(event as never);
        const own = this.byExecution.get(options.executionName) ?? [];
        own.push(event as never);
        this.byExecution.set(options.executionName, own);
        if (process.env.LIFEBOAT_DEBUG_SFN)
          console.error('SFN', JSON.stringify(event).slice(0, 400));
      }
    })();
    const stepped = options.time === 'stepped' ? steppedTimeOf(options.clock) : undefined;
    stepped?.enter();
    try {
      const result = await execution.result;
      await collect;
      return result;
    } finally {
      stepped?.leave();
    }
  }

  private override(
    name: string,
    state: Record<string, unknown>,
    options: LocalRunOptions,
  ): TaskHandler {
    const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
    const functionArn = String(state.Resource).startsWith('arn:aws:states:::')
      ? String(parameters.FunctionName)
      : String(state.Resource);
    const handlerName = this.runbook.handlers.get(functionArn);
    const handler = handlerName ? this.handlers[handlerName] : undefined;
    if (!handler)
      throw new Error(
        `State "${name}" calls ${functionArn}, which maps to no local handler (${handlerName ?? 'unknown'})`,
      );
    const waitsForToken = String(state.Resource).endsWith('.waitForTaskToken');
    return async (input) => {
      const event = {
        ...((((input as Record<string, unknown>).Payload ?? input) as Record<string, unknown>) ??
          {}),
      };
      if (typeof event.waitSeconds === 'number') await this.pass(options, event.waitSeconds);
      if (!waitsForToken) return this.mortal(handler(event));
      this.tokens += 1;
      const taskToken = `local-token-${this.tokens}-${Math.random().toString(36).slice(2)}`;
      if (event.taskToken === TOKEN_SENTINEL) event.taskToken = taskToken;
      const resumed = new Promise((resolve, reject) =>
        this.waiting.set(taskToken, { resolve, reject }),
      );
      const result = await handler(event);
      options.onGate({ taskToken, result, payload: event });
      // Waiting for people: virtual time goes on for the other executions meanwhile.
      const stepped = options.time === 'stepped' ? steppedTimeOf(options.clock) : undefined;
      stepped?.park();
      try {
        return await resumed;
      } finally {
        stepped?.unpark();
      }
    };
  }

  /**
   * One invocation, which a crash fault kills: the task then fails as a dead Lambda does, and
   * whatever the abandoned handler does next is never seen (its pending call stays unanswered).
   */
  private mortal(invocation: Promise<unknown>): Promise<unknown> {
    let kill!: (error: Error) => void;
    const death = new Promise<never>((_, reject) => {
      kill = reject;
    });
    this.inFlight.add(kill);
    invocation.catch(() => {});
    return Promise.race([invocation, death]).finally(() => this.inFlight.delete(kill));
  }

  /** A Wait state's time: jump the virtual clock, or sleep the scaled real time. */
  private async pass(options: LocalRunOptions, seconds: number): Promise<void> {
    if (options.time === 'stepped') {
      await steppedTimeOf(options.clock).sleep(seconds * 1000);
      return;
    }
    const ms = options.clock.speed > 0 ? (seconds * 1000) / options.clock.speed : 0;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
