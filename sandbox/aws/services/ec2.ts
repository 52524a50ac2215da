import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate, Instance, InstanceState } from '../estate.ts';
import { type InputProblem, parseInput } from '../input.ts';
import {
  decodeQuery,
  isoSeconds,
  queryAction,
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

const InstanceId = z.string().regex(/^i-[0-9a-f]{8}([0-9a-f]{9})?$/);
const Flag = z.enum(['true', 'false']);
const Filters = z.array(
  z.object({ Name: z.string().min(1), Value: z.array(z.string()).optional() }),
);
const Paging = {
  MaxResults: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().min(5).max(1000))
    .optional(),
  /** The offset of the next item. */
  NextToken: z.string().regex(/^\d+$/).optional(),
};

const DescribeInstancesInput = z.object({
  InstanceId: z.array(InstanceId).optional(),
  Filter: Filters.optional(),
  ...Paging,
});
const DescribeInstanceStatusInput = DescribeInstancesInput.extend({
  IncludeAllInstances: Flag.optional(),
});
const ChangeStateInput = z.object({
  InstanceId: z.array(InstanceId).min(1),
  Force: Flag.optional(),
});
const CreateTagsInput = z.object({
  ResourceId: z.array(z.string().min(1)).min(1),
  Tag: z
    .array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256).optional() }))
    .min(1),
});
const InstanceTypeName = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/);
const ModifyInstanceAttributeInput = z.object({
  InstanceId: InstanceId,
  InstanceType: z.object({ Value: InstanceTypeName }).optional(),
  Attribute: z.literal('instanceType').optional(),
  Value: InstanceTypeName.optional(),
});
const DescribeSubnetsInput = z.object({ SubnetId: z.array(z.string().min(1)).optional() });
const DescribeSecurityGroupsInput = z.object({ GroupId: z.array(z.string().min(1)).optional() });

/**
 * An instance's type: the one it was given or changed to, else a plausible default for the plan
 * server it stands for (databases on memory-optimized instances).
 */
export function instanceTypeOf(instance: Instance): string {
  if (instance.instanceType) return instance.instanceType;
  return /^(database|mongodb)$/.test(instance.tags.role ?? '') ? 'r6i.4xlarge' : 'm5.xlarge';
}

/** What EC2 answers when it has no capacity of the instance's type in its region, if it has none. */
export function capacityError(estate: Estate, instance: Instance): AwsError | undefined {
  const type = instanceTypeOf(instance);
  if (!estate.deps.faults.noCapacity(type, instance.region)) return undefined;
  return new AwsError(
    'InsufficientInstanceCapacity',
    `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${instance.region}a). Our system will be working on provisioning additional capacity.`,
    500,
  );
}

/** EC2's own codes: a parameter missing, an instance id malformed, or a value invalid. */
function invalid(problems: InputProblem[]): AwsError {
  const [first] = problems;
  const name = first?.field.split('.')[0] ?? '';
  if (first?.value === undefined)
    return new AwsError('MissingParameter', `The request must contain the parameter ${name}`, 400);
  if (name === 'InstanceId' && typeof first.value === 'string')
    return new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${first.value}"`, 400);
  const value = typeof first.value === 'string' ? first.value : JSON.stringify(first.value);
  return new AwsError(
    'InvalidParameterValue',
    `Value (${value}) for parameter ${first.field} is invalid. ${first.constraint}`,
    400,
  );
}

function matches(
  instance: Instance,
  filter: { Name: string; Value?: string[] | undefined },
): boolean {
  const { Name: name, Value: values = [] } = filter;
  const any = (value: string | undefined) =>
    value !== undefined &&
    values.some((v) =>
      v.includes('*')
        ? new RegExp(`^${v.split('*').map(escapeRegex).join('.*')}$`).test(value)
        : v === value,
    );
  if (name === 'instance-id') return any(instance.instanceId);
  if (name === 'instance-state-name') return any(instance.state);
  if (name === 'private-ip-address') return any(instance.privateIp);
  if (name === 'tag-key') return Object.keys(instance.tags).some(any);
  if (name === 'tag-value') return Object.values(instance.tags).some(any);
  if (name.startsWith('tag:')) return any(instance.tags[name.slice(4)]);
  throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`, 400);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Pages of a list: `NextToken` is the offset of the next item. */
function page<T>(
  items: T[],
  input: { MaxResults?: number | undefined; NextToken?: string | undefined },
): { items: T[]; nextToken?: string } {
  const max = input.MaxResults ?? 1000;
  const start = Number(input.NextToken ?? 0);
  const slice = items.slice(start, start + max);
  return start + max < items.length
    ? { items: slice, nextToken: String(start + max) }
    : { items: slice };
}

/** EC2 (EC2 query protocol): instances per account and region, with their state over time. */
export class Ec2Service implements SimService {
  readonly signingName = 'ec2';

  constructor(private readonly estate: Estate) {}

  operationOf(req: SimRequest): string {
    return queryAction(req);
  }

  handle(req: SimRequest, operation: string): SimResponse {
    const input = decodeQuery(new URLSearchParams(req.body));
    switch (operation) {
      case 'DescribeInstances':
        return this.describeInstances(req, parseInput(DescribeInstancesInput, input, invalid));
      case 'DescribeInstanceStatus':
        return this.describeInstanceStatus(
          req,
          parseInput(DescribeInstanceStatusInput, input, invalid),
        );
      case 'StopInstances':
      case 'StartInstances':
        return this.changeState(req, parseInput(ChangeStateInput, input, invalid), operation);
      case 'ModifyInstanceAttribute':
        return this.modifyInstanceAttribute(
          req,
          parseInput(ModifyInstanceAttributeInput, input, invalid),
        );
      case 'CreateTags':
        return this.createTags(req, parseInput(CreateTagsInput, input, invalid));
      case 'DescribeSubnets':
        return this.describeNetwork(
          req,
          parseInput(DescribeSubnetsInput, input, invalid).SubnetId ?? [],
          'subnet',
        );
      case 'DescribeSecurityGroups':
        return this.describeNetwork(
          req,
          parseInput(DescribeSecurityGroupsInput, input, invalid).GroupId ?? [],
          'group',
        );
      default:
        throw new AwsError(
          'InvalidAction',
          `The action ${operation} is not valid for this web service.`,
          400,
        );
    }
  }

  /** The instances named, all of them found in this account and region, or InvalidInstanceID.NotFound. */
  private named(req: SimRequest, ids: string[]): Instance[] {
    const found = ids.map((id) => {
      const instance = this.estate.instance(id);
      return instance && instance.account === req.account && instance.region === req.region
        ? instance
        : undefined;
    });
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length > 0) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance IDs '${missing.join(', ')}' do not exist`,
        400,
      );
    }
    return found as Instance[];
  }

  private selected(req: SimRequest, input: z.output<typeof DescribeInstancesInput>): Instance[] {
    const ids = input.InstanceId ?? [];
    const pool =
      ids.length > 0 ? this.named(req, ids) : this.estate.instancesIn(req.account, req.region);
    const wanted = input.Filter ?? [];
    return pool.filter((instance) => wanted.every((f) => matches(instance, f)));
  }

  private describeInstances(
    req: SimRequest,
    input: z.output<typeof DescribeInstancesInput>,
  ): SimResponse {
    const { items, nextToken } = page(this.selected(req, input), input);
    return this.xml('DescribeInstances', {
      reservationSet: items.map((instance) => ({
        reservationId: `r-${instance.instanceId.slice(2)}`,
        ownerId: instance.account,
        groupSet: [],
        instancesSet: [this.describe(instance)],
      })),
      nextToken,
    });
  }

  private describe(instance: Instance): XmlValue {
    return {
      instanceId: instance.instanceId,
      imageId: `ami-${instance.instanceId.slice(-12)}`,
      instanceState: { code: STATE_CODES[instance.state], name: instance.state },
      privateDnsName: `ip-${instance.privateIp.replaceAll('.', '-')}.${instance.region}.compute.internal`,
      privateIpAddress: instance.privateIp,
      instanceType: instanceTypeOf(instance),
      launchTime: isoSeconds(instance.launchTime),
      placement: { availabilityZone: `${instance.region}a`, tenancy: 'default' },
      platform: instance.platform === 'Windows' ? 'windows' : undefined,
      rootDeviceType: 'ebs',
      blockDeviceMapping: instance.hasDisks
        ? [
            {
              deviceName: '/dev/xvda',
              ebs: {
                volumeId: `vol-${instance.instanceId.slice(-12)}`,
                status: 'attached',
                deleteOnTermination: false,
              },
            },
          ]
        : [],
      tagSet: Object.entries(instance.tags).map(([key, value]) => ({ key, value })),
    };
  }

  private describeInstanceStatus(
    req: SimRequest,
    input: z.output<typeof DescribeInstanceStatusInput>,
  ): SimResponse {
    const all = input.IncludeAllInstances === 'true';
    const now = this.estate.now();
    const instances = this.selected(req, input).filter((i) => all || i.state === 'running');
    const { items, nextToken } = page(instances, input);
    const status = (instance: Instance) => {
      if (instance.state !== 'running') return { status: 'not-applicable' };
      const passed = instance.statusOkAt !== undefined && instance.statusOkAt <= now;
      return {
        status: passed ? 'ok' : 'initializing',
        details: [{ name: 'reachability', status: passed ? 'passed' : 'initializing' }],
      };
    };
    return this.xml('DescribeInstanceStatus', {
      instanceStatusSet: items.map((instance) => ({
        instanceId: instance.instanceId,
        availabilityZone: `${instance.region}a`,
        instanceState: { code: STATE_CODES[instance.state], name: instance.state },
        systemStatus: status(instance),
        instanceStatus: status(instance),
      })),
      nextToken,
    });
  }

  private changeState(
    req: SimRequest,
    input: z.output<typeof ChangeStateInput>,
    action: 'StopInstances' | 'StartInstances',
  ): SimResponse {
    const instances = this.named(req, input.InstanceId);
    for (const instance of instances) {
      if (instance.state === 'terminated' || instance.state === 'shutting-down') {
        throw new AwsError(
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a state from which it can be ${action === 'StopInstances' ? 'stopped' : 'started'}.`,
          400,
        );
      }
      if (action === 'StartInstances' && !instance.hasDisks) {
        throw new AwsError(
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' has no root volume; DRS must launch into it first.`,
          400,
        );
      }
      if (action === 'StartInstances' && instance.state === 'stopped') {
        const noCapacity = capacityError(this.estate, instance);
        if (noCapacity) throw noCapacity;
      }
    }
    const changes = instances.map((instance) => {
      const previous = instance.state;
      if (action === 'StopInstances' && (previous === 'running' || previous === 'pending'))
        this.estate.stop(instance, 'ec2:StopInstances');
      if (action === 'StartInstances' && previous === 'stopped')
        this.estate.start(instance, 'ec2:StartInstances');
      return {
        instanceId: instance.instanceId,
        currentState: { code: STATE_CODES[instance.state], name: instance.state },
        previousState: { code: STATE_CODES[previous], name: previous },
      };
    });
    return this.xml(action, { instancesSet: changes });
  }

  /** The isolated (bubble) networks the plans name, in their recovery region. */
  private describeNetwork(req: SimRequest, ids: string[], kind: 'subnet' | 'group'): SimResponse {
    const known = new Map<string, string>();
    for (const plan of this.estate.plans) {
      const bubble = plan.drill.isolated;
      if (!bubble || plan.account.id !== req.account || plan.regions.recovery !== req.region)
        continue;
      if (kind === 'subnet') known.set(bubble.subnetId, plan.customer.id);
      else for (const group of bubble.securityGroupIds) known.set(group, plan.customer.id);
    }
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw kind === 'subnet'
        ? new AwsError(
            'InvalidSubnetID.NotFound',
            `The subnet ID '${missing.join(', ')}' does not exist`,
            400,
          )
        : new AwsError(
            'InvalidGroup.NotFound',
            `The security group '${missing.join(', ')}' does not exist`,
            400,
          );
    }
    const vpc = (customer: string) => `vpc-0${customer.length.toString(16).padStart(16, 'b')}`;
    return kind === 'subnet'
      ? this.xml('DescribeSubnets', {
          subnetSet: ids.map((id) => ({
            subnetId: id,
            vpcId: vpc(known.get(id) ?? ''),
            state: 'available',
            availabilityZone: `${req.region}a`,
            tagSet: [{ key: 'Name', value: `${known.get(id)}-bubble` }],
          })),
        })
      : this.xml('DescribeSecurityGroups', {
          securityGroupInfo: ids.map((id) => ({
            groupId: id,
            groupName: `${known.get(id)}-bubble`,
            vpcId: vpc(known.get(id) ?? ''),
            ownerId: req.account,
          })),
        });
  }

  /** Only the instance type is modelled; EC2 changes it only on a stopped instance. */
  private modifyInstanceAttribute(
    req: SimRequest,
    input: z.output<typeof ModifyInstanceAttributeInput>,
  ): SimResponse {
    const type = input.InstanceType?.Value ?? (input.Attribute ? input.Value : undefined);
    if (!type)
      throw new AwsError(
        'InvalidParameterCombination',
        'No attribute specified; this local EC2 changes only instanceType.',
        400,
      );
    const [instance] = this.named(req, [input.InstanceId]);
    if (!instance) throw new AwsError('InvalidInstanceID.NotFound', input.InstanceId, 400);
    if (instance.state !== 'stopped')
      throw new AwsError(
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not in the 'stopped' state.`,
        400,
      );
    const from = instanceTypeOf(instance);
    instance.instanceType = type;
    this.estate.record('instance-type-changed', {
      instanceId: instance.instanceId,
      region: instance.region,
      from,
      to: type,
    });
    return this.xml('ModifyInstanceAttribute', { return: true });
  }

  private createTags(req: SimRequest, input: z.output<typeof CreateTagsInput>): SimResponse {
    const instances = this.named(req, input.ResourceId);
    for (const { Key, Value } of input.Tag) {
      for (const instance of instances) instance.tags[Key] = Value ?? '';
    }
    return this.xml('CreateTags', { return: true });
  }

  private xml(action: string, body: Record<string, XmlValue>): SimResponse {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<${action}Response xmlns="${NS}"><requestId>${requestId()}</requestId>${toXml(body)}</${action}Response>`,
    };
  }

  renderError(error: AwsError): SimResponse {
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<Response><Errors><Error>${toXml({ Code: error.code, Message: error.message })}</Error></Errors><RequestID>${requestId()}</RequestID></Response>`,
    };
  }

  throttlingError(): AwsError {
    return new AwsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  }
}
