import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrchestratorStack } from '../../infra/stacks/orchestrator-stack.ts';

export interface SynthesizedRunbook {
  /** The ASL, with every CloudFormation reference resolved to a stable fake ARN. */
  definition: { StartAt: string; States: Record<string, Record<string, unknown>> } & Record<
    string,
    unknown
  >;
  /** Fake function ARN -> the exported handler name in `orchestrator/handlers/tasks.ts`. */
  handlers: Map<string, string>;
}

const FAKE_ACCOUNT = '123456789012';

/** Synthesizes the orchestrator stack (bundling skipped) and extracts its runbook state machine. */
export function synthesizeRunbook(region = 'us-east-2'): SynthesizedRunbook {
  return synthesizeMachines(region).runbook;
}

type Machines = { runbook: SynthesizedRunbook; incident: SynthesizedRunbook };

/** Each region's machines, synthesized once per process: every local orchestrator reads the same ones. */
const synthesized = new Map<string, Machines>();

/**
 * The runbook's and the region-wide incident's state machines, from one synth (once per process
 * and region, each caller getting its own copy).
 */
export function synthesizeMachines(region = 'us-east-2'): Machines {
  let machines = synthesized.get(region);
  if (!machines) {
    machines = synthesize(region);
    synthesized.set(region, machines);
  }
  return structuredClone(machines);
}

function synthesize(region: string): Machines {
  // CDK's built-in CloudFormation validation costs ~6 s per synth; the local runner needs only the ASL.
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new OrchestratorStack(app, 'LifeboatLocal', {
    env: { account: FAKE_ACCOUNT, region },
    environment: {},
  });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const arn = (logicalId: string) =>
    `arn:aws:lambda:${region}:${FAKE_ACCOUNT}:function:${logicalId}`;
  const handlers = new Map<string, string>();
  const definitions = new Map<string, unknown>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Lambda::Function')
      handlers.set(arn(logicalId), String(resource.Properties.Handler).split('.').pop() ?? '');
    if (resource.Type === 'AWS::StepFunctions::StateMachine')
      definitions.set(logicalId, resource.Properties.DefinitionString);
  }
  const machine = (construct: string): SynthesizedRunbook => {
    const found = [...definitions].find(([logicalId]) => logicalId.startsWith(construct));
    if (!found) throw new Error(`The orchestrator stack has no ${construct} state machine`);
    return { definition: JSON.parse(resolve(found[1], arn, region)), handlers };
  };
  return { runbook: machine(stack.runbook.node.id), incident: machine(stack.incident.node.id) };
}

/** Resolves `Fn::Join`, `Fn::GetAtt` and `Ref` the way CloudFormation would, with fake ARNs. */
function resolve(value: unknown, arn: (id: string) => string, region: string): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, arn, region)).join(separator);
  }
  if ('Fn::GetAtt' in node) return arn(String((node['Fn::GetAtt'] as string[])[0]));
  if ('Ref' in node) {
    const ref = String(node.Ref);
    return ref === 'AWS::Partition'
      ? 'aws'
      : ref === 'AWS::Region'
        ? region
        : ref === 'AWS::AccountId'
          ? FAKE_ACCOUNT
          : ref === 'AWS::URLSuffix'
            ? 'amazonaws.com'
            : arn(ref);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)} in the state machine definition`);
}
