import { decodeQuery, type SimRequest, targetOperation } from './protocol.ts';
import { readXml } from './services/route53-xml.ts';

/** One authorization AWS makes for a call: an action on a resource, with the request's context. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

/** The tags of the resources a call names, as the services hold them; undefined when there is no such resource. */
export interface ResourceTags {
  instance(account: string, region: string, instanceId: string): Record<string, string> | undefined;
  drs(account: string, arn: string): Record<string, string> | undefined;
  stack(account: string, region: string, nameOrId: string): Record<string, string> | undefined;
}

type Tags = Record<string, string>;
/** A resource the call names does not exist: the service, not IAM, answers (NotFound). */
const MISSING = Symbol('missing');

const resourceTags = (tags: Tags, prefixes: readonly string[]) =>
  Object.fromEntries(
    Object.entries(tags).flatMap(([key, value]) =>
      prefixes.map((prefix) => [`${prefix}/${key}`, value] as const),
    ),
  );
const requestTags = (tags: Tags): Record<string, string | string[]> =>
  Object.keys(tags).length === 0
    ? {}
    : { ...resourceTags(tags, ['aws:RequestTag']), 'aws:TagKeys': Object.keys(tags) };

const json = (req: SimRequest): Record<string, unknown> => {
  try {
    return req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/**
 * The authorizations a call needs, the way the service asks IAM: one per resource the call
 * names (every instance of a StopInstances, the document and every instance of a SendCommand),
 * with the resource's tags and the request's condition keys. Calls on resources that do not
 * exist are left to the service. Only what the workload roles are granted is mapped precisely;
 * any other operation is asked on `*`, which the roles do not grant.
 */
export function iamRequestsOf(
  req: SimRequest,
  operation: string,
  tags: ResourceTags,
): IamRequest[] | typeof MISSING {
  const { account, region } = req;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${region}:${account}:${resource}`;
  const one = (action: string, resource = '*', context = {}): IamRequest[] => [
    { action, resource, context },
  ];
  switch (req.service) {
    case 'drs': {
      const body = json(req);
      const onDrs = (action: string, resource: string, extra = {}): IamRequest | undefined => {
        const found = tags.drs(account, resource);
        return found
          ? {
              action,
              resource,
              context: { ...resourceTags(found, ['aws:ResourceTag']), ...extra },
            }
          : undefined;
      };
      const each = (action: string, kind: string, ids: string[], extra = {}) => {
        const asked = ids.map((id) => onDrs(action, arn('drs', `${kind}/${id}`), extra));
        return asked.every((r) => r !== undefined) ? (asked as IamRequest[]) : MISSING;
      };
      switch (operation) {
        case 'StartRecovery': {
          const jobTags = (body.tags as Tags | undefined) ?? {};
          const servers = each(
            'drs:StartRecovery',
            'source-server',
            (body.sourceServers as { sourceServerID?: string }[] | undefined)?.map((s) =>
              String(s.sourceServerID),
            ) ?? [],
            requestTags(jobTags),
          );
          if (servers === MISSING || Object.keys(jobTags).length === 0) return servers;
          // Tags on the job it creates: DRS asks for TagResource too, as a create action.
          return [
            ...servers,
            {
              action: 'drs:TagResource',
              resource: arn('drs', 'job/drsjob-00000000000000000'),
              context: { ...requestTags(jobTags), 'drs:CreateAction': 'StartRecovery' },
            },
          ];
        }
        case 'UpdateLaunchConfiguration':
        case 'GetLaunchConfiguration':
        case 'DescribeRecoverySnapshots':
          return each(`drs:${operation}`, 'source-server', strings(body.sourceServerID));
        case 'DescribeJobLogItems':
          return each('drs:DescribeJobLogItems', 'job', strings(body.jobID));
        case 'ReverseReplication':
          return each(
            'drs:ReverseReplication',
            'recovery-instance',
            strings(body.recoveryInstanceID),
          );
        case 'TerminateRecoveryInstances':
          return each(
            'drs:TerminateRecoveryInstances',
            'recovery-instance',
            strings(body.recoveryInstanceIDs),
          );
        case 'TagResource':
        case 'UntagResource': {
          const target = decodeURIComponent(req.path.slice('/tags/'.length));
          const asked = onDrs(`drs:${operation}`, target, requestTags((body.tags as Tags) ?? {}));
          return asked ? [asked] : MISSING;
        }
        default:
          return one(`drs:${operation}`);
      }
    }
    case 'ec2': {
      const input = decodeQuery(new URLSearchParams(req.body));
      const action = String(input.Action ?? operation);
      if (!/^(Stop|Start|Terminate|Reboot)Instances$|^ModifyInstanceAttribute$/.test(action))
        return one(`ec2:${action}`);
      const ids = strings(input.InstanceId);
      const asked: IamRequest[] = [];
      for (const id of ids) {
        const found = tags.instance(account, region, id);
        if (!found) return MISSING;
        asked.push({
          action: `ec2:${action}`,
          resource: arn('ec2', `instance/${id}`),
          context: resourceTags(found, ['aws:ResourceTag', 'ec2:ResourceTag']),
        });
      }
      return asked;
    }
    case 'ssm': {
      const name = targetOperation(req, 'AmazonSSM.');
      if (name !== 'SendCommand') return one(`ssm:${name}`);
      const body = json(req);
      const document = String(body.DocumentName ?? '');
      // AWS's own documents (AWS-RunShellScript) have no account in their ARN.
      const owner = document.startsWith('AWS-') ? '' : account;
      const asked: IamRequest[] = [
        {
          action: 'ssm:SendCommand',
          resource: `arn:aws:ssm:${region}:${owner}:document/${document}`,
          context: {},
        },
      ];
      for (const id of strings(body.InstanceIds)) {
        const found = tags.instance(account, region, id);
        if (!found) return MISSING;
        asked.push({
          action: 'ssm:SendCommand',
          resource: arn('ec2', `instance/${id}`),
          context: resourceTags(found, ['aws:ResourceTag', 'ssm:resourceTag']),
        });
      }
      return asked;
    }
    case 'route53': {
      const id = /\/(hostedzone|change)\/([^/]+)/.exec(req.path);
      const resource = id ? `arn:aws:route53:::${id[1]}/${decodeURIComponent(id[2] ?? '')}` : '*';
      if (operation !== 'ChangeResourceRecordSets') return one(`route53:${operation}`, resource);
      const changes = changeBatchOf(req.body);
      return one('route53:ChangeResourceRecordSets', resource, {
        'route53:ChangeResourceRecordSetsActions': [...new Set(changes.map((c) => c.action))],
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
          ...new Set(changes.map((c) => c.name.toLowerCase().replace(/\.$/, ''))),
        ],
        'route53:ChangeResourceRecordSetsRecordTypes': [...new Set(changes.map((c) => c.type))],
      });
    }
    case 'lambda': {
      const named = /\/functions\/([^/]+)\//.exec(req.path)?.[1];
      if (operation !== 'Invoke' || !named) return one(`lambda:${operation}`);
      const name = decodeURIComponent(named);
      return one(
        'lambda:InvokeFunction',
        name.startsWith('arn:') ? name : arn('lambda', `function:${name}`),
      );
    }
    case 'cloudformation': {
      const input = decodeQuery(new URLSearchParams(req.body));
      const name = String(input.StackName ?? '');
      if (!['CreateStack', 'UpdateStack', 'DeleteStack', 'DescribeStacks'].includes(operation))
        return one(`cloudformation:${operation}`);
      if (operation === 'DescribeStacks' && !name) return one('cloudformation:DescribeStacks');
      const existing = tags.stack(account, region, name);
      if (!existing && operation !== 'CreateStack') return MISSING;
      const stackArn = name.startsWith('arn:')
        ? name
        : arn('cloudformation', `stack/${name}/00000000-0000-0000-0000-000000000000`);
      const given = (input.Tags as { member?: { Key: string; Value: string }[] } | undefined)
        ?.member;
      const context: Record<string, string | string[]> = {
        ...(existing ? resourceTags(existing, ['aws:ResourceTag']) : {}),
        ...(operation === 'CreateStack' || operation === 'UpdateStack'
          ? requestTags(Object.fromEntries((given ?? []).map((t) => [t.Key, t.Value])))
          : {}),
        ...(input.TemplateURL ? { 'cloudformation:TemplateUrl': String(input.TemplateURL) } : {}),
        ...(input.RoleARN ? { 'cloudformation:RoleArn': String(input.RoleARN) } : {}),
      };
      return one(`cloudformation:${operation}`, stackArn, context);
    }
    default:
      return [];
  }
}

export { MISSING };

/** Route 53's change batch, as much of it as its condition keys read. */
function changeBatchOf(body: string): { action: string; name: string; type: string }[] {
  const xml = readXml(body) as {
    ChangeResourceRecordSetsRequest?: {
      ChangeBatch?: {
        Changes?: {
          Change?: { Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }[];
        };
      };
    };
  };
  return (xml.ChangeResourceRecordSetsRequest?.ChangeBatch?.Changes?.Change ?? []).map((c) => ({
    action: String(c.Action ?? ''),
    name: String(c.ResourceRecordSet?.Name ?? ''),
    type: String(c.ResourceRecordSet?.Type ?? ''),
  }));
}
