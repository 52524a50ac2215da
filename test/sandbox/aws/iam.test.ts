import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DrsClient, StartRecoveryCommand, TagResourceCommand } from '@aws-sdk/client-drs';
import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { SendCommandCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import {
  PLAN_TAG_KEY,
  type WorkloadAccess,
  workloadRoleName,
} from '../../../orchestrator/domain/workload-access.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws;
let dmnt: Plan;
let nwhealth: Plan;
beforeAll(async () => {
  aws = await startSampleAws({ iam: true });
  const plans = await samplePlans();
  const named = (id: string) => {
    const plan = plans.find((p) => p.customer.id === id);
    if (!plan) throw new Error(`no sample plan ${id}`);
    return plan;
  };
  dmnt = named('dmnt');
  nwhealth = named('nwhealth');
});
afterAll(() => aws.stop());

/** The role's credentials as a run gets them: the recovery role's session tagged with the plan. */
async function assume(
  plan: Plan,
  access: WorkloadAccess,
  tags: Record<string, string> = access === 'act' ? { [PLAN_TAG_KEY]: plan.customer.id } : {},
  world: LocalAws = aws,
): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(clientConfig(world, plan.regions.primary));
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${plan.account.id}:role/${workloadRoleName(plan.account.roleName, access)}`,
      RoleSessionName: 'iam-test',
      ExternalId: plan.account.externalId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return {
    accessKeyId: Credentials?.AccessKeyId ?? '',
    secretAccessKey: Credentials?.SecretAccessKey ?? '',
  };
}

/** The error a call ended with, or a failure when it was allowed. */
async function refusal(
  call: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!outcome) throw new Error('the call was allowed');
  return outcome as Error & { $metadata: { httpStatusCode?: number } };
}

const primaryOf = (plan: Plan, i = 0) => plan.servers[i]?.primary.instanceId ?? '';

describe('IAM of the workload roles, as the template is synthesized', () => {
  it('lets the recovery role stop an instance carrying its plan tag', async () => {
    // Prepare
    const ec2 = new EC2Client(clientConfig(aws, dmnt.regions.primary, await assume(dmnt, 'act')));
    // Act
    const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [primaryOf(dmnt, 1)] }));
    // Assess
    expect(out.StoppingInstances?.[0]?.InstanceId).toBe(primaryOf(dmnt, 1));
  });

  it.each([
    ['tagged for another plan', { [PLAN_TAG_KEY]: 'dmnt-staging' }],
    ['untagged', {}],
  ])(
    'refuses to stop an instance %s, with EC2’s UnauthorizedOperation naming it',
    async (_, tags) => {
      // Prepare: an instance of the account that onboarding did not tag for dmnt
      const id = primaryOf(dmnt, 2);
      const instance = aws.estate.instances.get(id);
      if (!instance) throw new Error('no instance');
      const kept = instance.tags;
      instance.tags = { Name: 'another environment', ...tags };
      const ec2 = new EC2Client(clientConfig(aws, dmnt.regions.primary, await assume(dmnt, 'act')));
      try {
        // Act
        const error = await refusal(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })));
        // Assess
        expect(error).toBeInstanceOf(EC2ServiceException);
        expect(error.name).toBe('UnauthorizedOperation');
        expect(error.$metadata.httpStatusCode).toBe(403);
        expect(error.message).toContain(
          `ec2:StopInstances on resource: arn:aws:ec2:${dmnt.regions.primary}:${dmnt.account.id}:instance/${id}`,
        );
        expect(error.message).toContain('assumed-role/LifeboatExecution/iam-test');
        expect(aws.estate.instances.get(id)?.state).toBe('running');
      } finally {
        instance.tags = kept;
      }
    },
  );

  it('gives the read-only role reads and nothing that changes the account', async () => {
    // Prepare
    const ec2 = new EC2Client(clientConfig(aws, dmnt.regions.primary, await assume(dmnt, 'read')));
    // Act
    const described = await ec2.send(new DescribeInstancesCommand({}));
    const stop = await refusal(
      ec2.send(new StopInstancesCommand({ InstanceIds: [primaryOf(dmnt)] })),
    );
    // Assess
    expect(described.Reservations?.length).toBeGreaterThan(0);
    expect(stop.name).toBe('UnauthorizedOperation');
    expect(stop.message).toContain('assumed-role/LifeboatExecutionReadOnly/');
  });

  it("refuses DRS recovery of a source server without the plan tag, and tagging what exists, with DRS's AccessDeniedException", async () => {
    // Prepare
    const drs = new DrsClient(clientConfig(aws, dmnt.regions.recovery, await assume(dmnt, 'act')));
    const server = dmnt.servers[3];
    const sourceServerID =
      server && 'sourceServerId' in server.drs ? server.drs.sourceServerId : '';
    const arn = `arn:aws:drs:${dmnt.regions.recovery}:${dmnt.account.id}:source-server/${sourceServerID}`;
    const source = (
      aws.services.get('drs') as unknown as {
        state: { sources: Map<string, { tags: Record<string, string> }> };
      }
    ).state.sources.get(sourceServerID);
    if (!source) throw new Error('no source server');
    const kept = source.tags;
    source.tags = { Name: 'another environment' };
    try {
      // Act
      const recover = await refusal(
        drs.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID }], isDrill: true })),
      );
      const retag = await refusal(
        drs.send(new TagResourceCommand({ resourceArn: arn, tags: { [PLAN_TAG_KEY]: 'dmnt' } })),
      );
      // Assess
      for (const error of [recover, retag]) {
        expect(error.name).toBe('AccessDeniedException');
        expect(error.$metadata.httpStatusCode).toBe(403);
      }
      expect(recover.message).toContain(`drs:StartRecovery on resource: ${arn}`);
      expect(source.tags).toEqual({ Name: 'another environment' });
    } finally {
      source.tags = kept;
    }
  });

  it('lets DRS tag the job a recovery creates (drs:CreateAction), on the plan’s source server', async () => {
    // Prepare
    const drs = new DrsClient(clientConfig(aws, dmnt.regions.recovery, await assume(dmnt, 'act')));
    const server = dmnt.servers[4];
    const sourceServerID =
      server && 'sourceServerId' in server.drs ? server.drs.sourceServerId : '';
    const before = aws.iam?.stats.asked ?? 0;
    // Act
    const out = await drs.send(
      new StartRecoveryCommand({
        sourceServers: [{ sourceServerID }],
        isDrill: true,
        tags: { 'lifeboat:run': 'iam-test' },
      }),
    );
    // Assess: two authorizations, the server and the job's tags, both allowed
    expect(out.job?.jobID).toBeDefined();
    expect((aws.iam?.stats.asked ?? 0) - before).toBe(2);
  });

  it('lets the recovery role UPSERT only the plan’s record names and types', async () => {
    // Prepare
    const route53 = new Route53Client(clientConfig(aws, 'us-east-1', await assume(dmnt, 'act')));
    const change = (Action: 'UPSERT' | 'DELETE', Name: string, Type: 'CNAME' | 'TXT') =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: dmnt.dns?.zones.primary,
          ChangeBatch: {
            Changes: [
              {
                Action,
                ResourceRecordSet: {
                  Name,
                  Type,
                  TTL: 60,
                  ResourceRecords: [{ Value: Type === 'CNAME' ? 'webui.example.com' : '"x"' }],
                },
              },
            ],
          },
        }),
      );
    // Act: the condition keys compare names in lower case, without the trailing dot
    // (IAM lets it through; Route 53 then answers for itself: the sample's records are failover sets)
    const upsert = await change('UPSERT', 'WebUI.dmnt.hrp.internal.', 'CNAME').then(
      () => 'changed',
      (error: Error) => error.name,
    );
    const refused = await Promise.all([
      refusal(change('UPSERT', 'payroll.dmnt.hrp.internal', 'CNAME')),
      refusal(change('UPSERT', 'webui.dmnt.hrp.internal', 'TXT')),
      refusal(change('DELETE', 'webui.dmnt.hrp.internal', 'CNAME')),
    ]);
    // Assess
    expect(['changed', 'InvalidChangeBatch']).toContain(upsert);
    for (const error of refused) {
      expect(error).toBeInstanceOf(Route53ServiceException);
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata.httpStatusCode).toBe(403);
    }
  });

  it("runs the plan's documents only on instances carrying the plan tag (SSM's AccessDeniedException)", async () => {
    // Prepare
    const ssm = new SSMClient(clientConfig(aws, dmnt.regions.primary, await assume(dmnt, 'act')));
    const id = primaryOf(dmnt);
    const instance = aws.estate.instances.get(id);
    if (!instance) throw new Error('no instance');
    const send = (DocumentName: string) =>
      ssm.send(new SendCommandCommand({ DocumentName, InstanceIds: [id] }));
    // Act
    const sent = await send('Lifeboat-HrpSmokeTest');
    const otherDocument = await refusal(send('AWS-RunShellScript'));
    const kept = instance.tags;
    instance.tags = { Name: 'another environment' };
    const untagged = await refusal(send('Lifeboat-HrpSmokeTest')).finally(() => {
      instance.tags = kept;
    });
    // Assess
    expect(sent.Command?.CommandId).toBeDefined();
    for (const error of [otherDocument, untagged]) {
      expect(error).toBeInstanceOf(SSMServiceException);
      expect(error.name).toBe('AccessDeniedException');
    }
    expect(untagged.message).toContain(`instance/${id}`);
  });

  it('creates stacks only in the Lifeboat namespace, with the managed tag, from the template bucket, without a service role; deletes only tagged ones', async () => {
    // Prepare
    const region = nwhealth.regions.recovery;
    const cfn = new CloudFormationClient(clientConfig(aws, region, await assume(nwhealth, 'act')));
    // The customer's own administrator: keys STS did not issue, acting in the account.
    const admin = new CloudFormationClient(
      clientConfig(aws, region, {
        accessKeyId: `AKIA${nwhealth.account.id}`,
        secretAccessKey: 'x',
      }),
    );
    const url = `https://lifeboat-templates-${nwhealth.account.id}.s3.${region}.amazonaws.com/valkey.json`;
    const managed = [{ Key: 'lifeboat:managed', Value: 'true' }];
    const create = (StackName: string, extra: Record<string, unknown>) =>
      cfn.send(new CreateStackCommand({ StackName, TemplateURL: url, Tags: managed, ...extra }));
    // Act
    const created = await create('lifeboat-iam-test', {});
    const refused = await Promise.all([
      refusal(create('payroll-db', {})),
      refusal(create('lifeboat-untagged', { Tags: [] })),
      refusal(
        create('lifeboat-elsewhere', { TemplateURL: 'https://attacker.s3.amazonaws.com/t.json' }),
      ),
      refusal(create('lifeboat-body', { TemplateURL: undefined, TemplateBody: '{}' })),
      refusal(
        create('lifeboat-role', { RoleARN: `arn:aws:iam::${nwhealth.account.id}:role/Admin` }),
      ),
    ]);
    // A lifeboat-* stack someone else created, without the tag: not Lifeboat's to delete.
    await admin.send(new CreateStackCommand({ StackName: 'lifeboat-theirs', TemplateURL: url }));
    const theirs = await refusal(
      cfn.send(new DeleteStackCommand({ StackName: 'lifeboat-theirs' })),
    );
    await cfn.send(new DeleteStackCommand({ StackName: 'lifeboat-iam-test' }));
    // Assess
    expect(created.StackId).toContain('stack/lifeboat-iam-test/');
    for (const error of [...refused, theirs]) {
      expect(error).toBeInstanceOf(CloudFormationServiceException);
      expect(error.name).toBe('AccessDenied');
    }
  });

  it('evaluates each question once: polls are answered from the decision cache', async () => {
    // Prepare
    const ec2 = new EC2Client(clientConfig(aws, dmnt.regions.primary, await assume(dmnt, 'read')));
    await ec2.send(new DescribeInstancesCommand({}));
    const before = { ...aws.iam?.stats };
    // Act
    for (let i = 0; i < 5; i++) await ec2.send(new DescribeInstancesCommand({}));
    // Assess
    expect(aws.iam?.stats.asked).toBe((before.asked ?? 0) + 5);
    expect(aws.iam?.stats.evaluated).toBe(before.evaluated);
  });
});

describe('a recovery account shared by several plans', () => {
  /** bcbsaz and nwhealth recovering into one account (bcbsaz's), as the region-wide estate does. */
  let shared: LocalAws;
  let bcbsaz: Plan;
  let nwhealth: Plan;
  beforeAll(async () => {
    const plans = await samplePlans();
    const [a, b] = ['bcbsaz', 'nwhealth'].map((id) => plans.find((p) => p.customer.id === id));
    if (!a || !b) throw new Error('no sample plans bcbsaz and nwhealth');
    bcbsaz = a;
    nwhealth = { ...b, account: a.account, regions: a.regions };
    shared = await startSampleAws({ iam: true, plans: [bcbsaz, nwhealth] });
  });
  afterAll(() => shared.stop());

  const stop = async (session: Plan, owner: Plan, tags?: Record<string, string>) => {
    const ec2 = new EC2Client(
      clientConfig(shared, owner.regions.primary, await assume(session, 'act', tags, shared)),
    );
    return ec2.send(new StopInstancesCommand({ InstanceIds: [primaryOf(owner, 1)] }));
  };

  it("lets a session of one plan stop that plan's instance and refuses another plan's, both tagged for plans of the account", async () => {
    // Prepare
    const theirs = shared.estate.instances.get(primaryOf(nwhealth, 1));
    expect(theirs?.tags[PLAN_TAG_KEY]).toBe('nwhealth');
    // Act
    const own = await stop(bcbsaz, bcbsaz);
    const other = await refusal(stop(bcbsaz, nwhealth));
    // Assess
    expect(own.StoppingInstances?.[0]?.InstanceId).toBe(primaryOf(bcbsaz, 1));
    expect(other.name).toBe('UnauthorizedOperation');
    expect(other.message).toContain(`instance/${primaryOf(nwhealth, 1)}`);
    expect(theirs?.state).toBe('running');
  });

  it("refuses DRS recovery of another plan's source server to a plan's session", async () => {
    // Prepare
    const server = nwhealth.servers.find((s) => 'sourceServerId' in s.drs);
    const sourceServerID =
      server && 'sourceServerId' in server.drs ? server.drs.sourceServerId : '';
    const region = bcbsaz.regions.recovery;
    const drs = (plan: Plan) =>
      assume(plan, 'act', undefined, shared).then(
        (credentials) => new DrsClient(clientConfig(shared, region, credentials)),
      );
    const recover = (client: DrsClient) =>
      client.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID }], isDrill: true }));
    // Act
    const refused = await refusal(recover(await drs(bcbsaz)));
    const allowed = await recover(await drs(nwhealth));
    // Assess
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain(`drs:StartRecovery on resource: arn:aws:drs:${region}:`);
    expect(refused.message).toContain(`source-server/${sourceServerID}`);
    expect(allowed.job?.jobID).toBeDefined();
  });

  it('refuses an untagged session of the recovery role everything tagged', async () => {
    // Act
    const error = await refusal(stop(bcbsaz, bcbsaz, {}));
    // Assess
    expect(error.name).toBe('UnauthorizedOperation');
  });

  it.each([
    ['a plan not in the account', { [PLAN_TAG_KEY]: 'dmnt' }, 'act'],
    [
      'another tag key beside the plan',
      { [PLAN_TAG_KEY]: 'bcbsaz', 'lifeboat:admin': 'true' },
      'act',
    ],
    ['any tag on the read-only role', { [PLAN_TAG_KEY]: 'bcbsaz' }, 'read'],
  ] as const)(
    'refuses a session tagged with %s: the trust policy does not allow that sts:TagSession',
    async (_, tags, access) => {
      // Act
      const error = await refusal(assume(bcbsaz, access, tags, shared));
      // Assess
      expect(error).toBeInstanceOf(STSServiceException);
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.message).toContain('sts:TagSession');
    },
  );
});
