import type { Hook, Side } from './plan.ts';
import type { Region } from './regions.ts';
import type { Phase, Step } from './runbook.ts';

/** The step that runs a hook of the plan (an SSM document, a Lambda, a stack, or a person's manual step). */
export function hookStep(
  hook: Hook,
  at: { id: string; phase: Phase; label: string; region: Region; side: Side },
  resolve: {
    /** The instance a server of the plan is on, on the hook's side. */
    instanceOf(server: string): string;
    /** Who confirms a manual hook that names nobody. */
    requesters: readonly string[];
  },
): Step {
  const { id, phase, label, region, side } = at;
  const base = {
    id,
    phase,
    region,
    bestEffort: hook.optional,
    timeoutSeconds: hook.timeout,
    hook: hook.name,
  };
  switch (hook.kind) {
    case 'ssm-document':
      return {
        ...base,
        kind: 'ssm-command',
        title: `${label}: run ${hook.document} (${hook.name})`,
        document: hook.document,
        parameters: hook.parameters,
        targets: hook.servers
          ? hook.servers.map((server) => ({
              server,
              instanceId: resolve.instanceOf(server),
            }))
          : (hook.instances?.[side] ?? []).map((instanceId) => ({ instanceId })),
      };
    case 'lambda':
      return {
        ...base,
        kind: 'lambda-hook',
        title: `${label}: invoke ${hook.function} (${hook.name})`,
        function: hook.function,
        payload: hook.payload,
      };
    case 'stack':
      return {
        ...base,
        kind: 'stack',
        title: `${label}: ${hook.action} stack ${hook.stackName} (${hook.name})`,
        action: hook.action,
        stackName: hook.stackName,
        ...(hook.templateUrl ? { templateUrl: hook.templateUrl } : {}),
        parameters: hook.parameters,
      };
    case 'manual': {
      const { hook: _name, ...gateBase } = base;
      return {
        ...gateBase,
        kind: 'gate',
        title: `${label}: ${hook.name} (manual)`,
        gate: 'manual',
        prompt: hook.instructions,
        principals: hook.confirmers ?? [...resolve.requesters],
        required: 1,
        excludeRequester: false,
      };
    }
  }
}
