import type { WebClient } from '@slack/web-api';
import type { ReadinessJob } from '../orchestrator/domain/messages.ts';
import type { RegionWideSettings } from '../orchestrator/domain/settings.ts';
import type { IncidentControl } from '../orchestrator/ports/incident.ts';
import type {
  AuditLog,
  RunCommands,
  RunReader,
  RunStarter,
} from '../orchestrator/ports/run-control.ts';

/** What the listeners need; built once per cold start. */
export interface BotDeps {
  /**
   * Runs, without `readiness`: it asks the customer's AWS, longer than a listener may take;
   * listeners hand it to `defer`.
   */
  runs: RunStarter & RunCommands & RunReader & AuditLog;
  /** Region-wide incidents: request, approve, abort, read. */
  incidents: IncidentControl;
  /**
   * Who may request, approve and see region-wide incidents, and the operations channel they run
   * in. @default none: region-wide commands say what to configure
   */
  regionWide?: RegionWideSettings;
  /** Lifeboat admins: user ids or user groups. */
  admins: readonly string[];
  /** The user groups (`S…`) among `candidates` that the user belongs to. */
  groupsOf(client: WebClient, userId: string, candidates: readonly string[]): Promise<string[]>;
  /**
   * The name people see for a user (`users.info`), quickly or not at all; listeners call it
   * through `nameCaller`. @default the name the payload carries
   */
  displayNameOf?(client: WebClient, userId: string): Promise<string | undefined>;
  /** Hands off a job to run after the answer (the notifier's queue, or in-process locally). */
  defer(job: ReadinessJob): Promise<void>;
  /** Real time, ms. */
  now(): number;
  /** Told when a run starts, so a local notifier follows it. */
  onRunStarted?(executionId: string): void;
  /** Told when an incident starts, so a local notifier follows it (and the runs it starts). */
  onIncidentStarted?(incidentId: string): void;
}
