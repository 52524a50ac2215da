import { z } from 'zod';
import {
  type WorkloadAccess,
  workloadRoleName,
} from '../../../orchestrator/domain/workload-access.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import type { WorkloadIam } from '../iam.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import {
  decodeQuery,
  queryAction,
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
} from '../protocol.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The query protocol sends an empty list as `Name=` (the SDK does for `Tags: []`): no list. */
const emptyList = (value: unknown) => (value === '' ? undefined : value);

const AssumeRoleInput = z.object({
  RoleArn: z
    .string()
    .min(20)
    .max(2048)
    .regex(/^arn:aws:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/),
  // STS asks for 2 characters at least; the local STS has always taken 1, and scripts rely on it.
  RoleSessionName: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\w+=,.@-]*$/),
  ExternalId: z
    .string()
    .min(2)
    .max(1224)
    .regex(/^[\w+=,.@:/-]*$/)
    .optional(),
  SourceIdentity: z
    .string()
    .min(2)
    .max(64)
    .regex(/^[\w+=,.@-]*$/)
    .optional(),
  // Session tags: at most 50, keys of 128 characters, values of 256.
  Tags: z.preprocess(
    emptyList,
    z
      .object({
        member: z
          .array(
            z.object({
              Key: z
                .string()
                .min(1)
                .max(128)
                .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u),
              Value: z.string().max(256).default(''),
            }),
          )
          .max(50),
      })
      .optional(),
  ),
  TransitiveTagKeys: z.preprocess(
    emptyList,
    z.object({ member: z.array(z.string().min(1).max(128)).max(50) }).optional(),
  ),
  DurationSeconds: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().min(900).max(43_200))
    .optional(),
});
const GetCallerIdentityInput = z.object({});

/** STS's ValidationError, naming each parameter as its messages do (`roleSessionName`). */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('ValidationError', describeProblems(problems, { camelCase: true }), 400);
}

/** Who holds credentials STS issued: the role they act as, for IAM to evaluate their calls. */
export interface RoleSession {
  account: string;
  roleName: string;
  access: WorkloadAccess;
  session: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names the caller in errors. */
  arn: string;
  /** The session tags it was assumed with: in every later call's context as `aws:PrincipalTag/<key>`. */
  tags: Readonly<Record<string, string>>;
}

/** STS (AWS query protocol): AssumeRole into a workload account, and GetCallerIdentity. */
export class StsService implements SimService {
  readonly signingName = 'sts';
  private issued = 0;
  private readonly sessions = new Map<string, RoleSession>();

  /** `iam`: tags a session only where the role's trust policy allows `sts:TagSession`. @default tags are taken unchecked */
  constructor(
    private readonly estate: Estate,
    private readonly iam?: WorkloadIam,
  ) {}

  operationOf(req: SimRequest): string {
    return queryAction(req);
  }

  /** The role session an access key belongs to; undefined for keys STS did not issue (the tooling account's). */
  sessionOf(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  async handle(req: SimRequest, operation: string): Promise<SimResponse> {
    const input = decodeQuery(new URLSearchParams(req.body));
    switch (operation) {
      case 'AssumeRole':
        return this.assumeRole(parseInput(AssumeRoleInput, input, invalid), req.region);
      case 'GetCallerIdentity':
        parseInput(GetCallerIdentityInput, input, invalid);
        return this.xml('GetCallerIdentity', {
          Arn:
            this.sessionOf(req.accessKeyId)?.arn ??
            `arn:aws:sts::${req.account}:assumed-role/lifeboat/${req.accessKeyId}`,
          UserId: req.accessKeyId,
          Account: req.account,
        });
      default:
        throw new AwsError(
          'InvalidAction',
          `The action ${operation} is not valid for this web service.`,
          400,
        );
    }
  }

  private async assumeRole(
    input: z.output<typeof AssumeRoleInput>,
    region: string,
  ): Promise<SimResponse> {
    const { RoleArn: roleArn, RoleSessionName: session } = input;
    const [, accountId = '', roleName] =
      /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(roleArn) ?? [];
    const account = this.estate.accounts.get(accountId);
    // The template deploys two roles per account: the one that acts and the read-only one.
    const access = (['act', 'read'] as const).find(
      (a) => account && workloadRoleName(account.roleName, a) === roleName,
    );
    if (!account || !access || !roleName) {
      throw new AwsError(
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      );
    }
    if (input.ExternalId !== account.externalId) {
      throw new AwsError(
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (external id does not match)`,
        403,
      );
    }
    const given = input.Tags?.member ?? [];
    const tags = Object.fromEntries(given.map((tag) => [tag.Key, tag.Value]));
    // STS compares tag keys without case: two that differ only in case are one key given twice.
    if (new Set(given.map((tag) => tag.Key.toLowerCase())).size < given.length)
      throw new AwsError(
        'InvalidParameterValue',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
        400,
      );
    const transitive = input.TransitiveTagKeys?.member ?? [];
    if (transitive.some((key) => !(key in tags)))
      throw new AwsError(
        'InvalidParameterValue',
        'The specified transitive tag key must be included in the requested tags.',
        400,
      );
    if (given.length > 0)
      await this.iam?.authorizeSessionTags({ account: accountId, roleName, region, tags });
    const duration = input.DurationSeconds ?? 3600;
    this.issued += 1;
    // The key names its account, so later calls signed with it act in that account.
    const accessKeyId = `ASIA${accountId}${this.issued.toString(36).toUpperCase().padStart(4, '0')}`;
    const arn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session}`;
    this.sessions.set(accessKeyId, { account: accountId, roleName, access, session, arn, tags });
    this.estate.record('assume-role', { account: accountId, roleName, session, tags });
    return this.xml('AssumeRole', {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: `local-secret-${this.issued}`,
        SessionToken: `local-session-${accessKeyId}`,
        // Real time: the SDK refreshes credentials by its own clock, not the simulators'.
        Expiration: new Date(Date.now() + duration * 1000).toISOString(),
      },
      AssumedRoleUser: {
        AssumedRoleId: `AROA${accountId}:${session}`,
        Arn: arn,
      },
    });
  }

  private xml(action: string, result: Record<string, unknown>): SimResponse {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<${action}Response xmlns="${NS}"><${action}Result>${toXml(result as never)}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
    };
  }

  renderError(error: AwsError): SimResponse {
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type>${toXml({ Code: error.code, Message: error.message })}</Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
    };
  }

  throttlingError(): AwsError {
    return new AwsError('Throttling', 'Rate exceeded', 400);
  }
}
