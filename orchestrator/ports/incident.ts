import type { Incident, IncidentRequest } from '../domain/incident.ts';
import type { Region } from '../domain/regions.ts';
import type { GateAnswered, GateAnswerInput } from './run-control.ts';

/** Region-wide incidents in the state table: one record each, written with a version check. */
export interface IncidentStore {
  /** Throws ConcurrentUpdateError when an incident with that id exists. */
  createIncident(incident: Incident): Promise<void>;
  /** The incident and the version to write back against. Throws NotFoundError. */
  getIncident(incidentId: string): Promise<{ incident: Incident; version: number }>;
  /**
   * Writes the incident if nobody wrote it since `version` was read; returns the new version.
   * Throws ConcurrentUpdateError otherwise (read again, decide again).
   */
  saveIncident(incident: Incident, version: number): Promise<number>;
  /** The region's incidents, newest first. */
  listIncidents(region: Region, limit: number): Promise<Incident[]>;
}

/** Starts the incident state machine in the region it runs in; an id that already ran is a no-op. */
export interface IncidentStarter {
  startIncident(region: Region, request: IncidentRequest): Promise<void>;
}

/** The bot's side of region-wide incidents. */
export interface IncidentControl {
  /**
   * Takes the region's incident lock and starts the incident; throws UnsupportedOperationError
   * when region-wide operations are not configured or no plan has that primary, and
   * OperationInProgressError while another incident of that region is open.
   */
  requestRegionFailover(request: Omit<IncidentRequest, 'incidentId'>): Promise<{
    incidentId: string;
    executionRegion: Region;
    plans: string[];
  }>;
  /** Throws NotFoundError. */
  getIncident(incidentId: string): Promise<Incident>;
  /** The open incident of a region, if any. */
  openIncident(region: Region): Promise<string | undefined>;
  /** The region's latest incidents, newest first. */
  listIncidents(region: Region, limit: number): Promise<Incident[]>;
  /** One approver's answer to the incident's approval. */
  answerIncident(
    incidentId: string,
    gateId: string,
    answer: GateAnswerInput,
  ): Promise<GateAnswered>;
  /** Stops every start and aborts every running child at its next step boundary. */
  abortIncident(incidentId: string, by: string, byName?: string): Promise<void>;
}
