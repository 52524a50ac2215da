import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { json, type SimRequest, type SimResponse, type SimService } from '../protocol.ts';

/** Placeholder until the Ssm simulator lands: every call is refused as not implemented. */
export class SsmService implements SimService {
  readonly signingName = 'ssm';

  constructor(readonly estate: Estate) {}

  operationOf(req: SimRequest): string {
    return req.path;
  }

  handle(): SimResponse {
    throw new AwsError('NotImplemented', 'Ssm is not simulated yet.', 501);
  }

  renderError(error: AwsError): SimResponse {
    return json(error.status, { message: error.message });
  }

  throttlingError(): AwsError {
    return new AwsError('ThrottlingException', 'Rate exceeded', 429);
  }
}
