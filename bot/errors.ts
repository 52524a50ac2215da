import { LifeboatError } from '../orchestrator/domain/errors.ts';

/** Slack could not say who is in a user group, so nobody is authorized by it just now. */
export class SlackUnavailableError extends LifeboatError {
  constructor(group: string, why: string) {
    super(
      `Slack did not say who is in user group ${group} (${why}), so Lifeboat cannot check your role right now; nothing changed. Try again in a minute.`,
    );
    this.name = 'SlackUnavailableError';
  }
}

/** Slack refused a private reply posted to a command's `response_url`. */
export class ResponseUrlError extends LifeboatError {
  readonly status: number;

  constructor(status: number, statusText: string) {
    super(
      `Slack answered ${status} ${statusText} to the reply posted to the command's response_url, so the user saw no answer. A response_url lasts 30 minutes and 5 replies: if it expired, run the command again.`,
    );
    this.name = 'ResponseUrlError';
    this.status = status;
  }
}

/** A reply addressed to a URL that is not one of Slack's `response_url`s: never sent. */
export class ForeignResponseUrlError extends LifeboatError {
  readonly host: string;

  constructor(host: string, allowed: readonly string[]) {
    super(
      `A reply was addressed to ${host}, which is not one of Slack's response_url hosts (${allowed.join(', ')}), so it was not sent: the notifier posts only to Slack. A response_url comes from a signed Slack request; look for what changed the message on its way (the notifier queue's producers).`,
    );
    this.name = 'ForeignResponseUrlError';
    this.host = host;
  }
}
