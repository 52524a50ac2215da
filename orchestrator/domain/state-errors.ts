import { LifeboatError } from './errors.ts';

export class OperationInProgressError extends LifeboatError {
  constructor(customerId: string, holder: string) {
    super(
      `Customer "${customerId}" already has an operation running (${holder}); there is only one active environment at a time. Wait for it to end, or abort it.`,
    );
    this.name = 'OperationInProgressError';
  }
}

export class NotFoundError extends LifeboatError {
  constructor(what: string) {
    super(`${what} was not found; check the id.`);
    this.name = 'NotFoundError';
  }
}

export class ConcurrentUpdateError extends LifeboatError {
  constructor(what: string) {
    super(
      `${what} was changed by someone else at the same moment; nothing was changed by this request.`,
    );
    this.name = 'ConcurrentUpdateError';
  }
}

export class NotPausedError extends LifeboatError {
  constructor(executionId: string) {
    super(`Run ${executionId} is not paused and no pause is pending; there is nothing to resume.`);
    this.name = 'NotPausedError';
  }
}
