/** An error a simulated service answers with; the protocol layer renders it in the service's format. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of the error shape (DRS's `quotaCode`, `resourceId`…). */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

export const throttled = (service: string) =>
  new AwsError('ThrottlingException', `Rate exceeded (simulated ${service} throttling).`, 429);
