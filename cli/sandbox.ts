import type { Io } from './io.ts';
import { showPlan } from './plan-show.ts';

/**
 * `npm start`. The local AWS, orchestrator and fake Slack do not exist yet, so for now this
 * shows what a drill of bcbsaz would do: its plan and its drill runbook.
 */
export async function runSandbox(io: Io): Promise<number> {
  io.out(
    'Lifeboat sandbox: the simulated drill is not built yet; here is what `/dr drill bcbsaz` would run.\n',
  );
  return showPlan('bcbsaz', { json: false, operation: 'drill' }, io);
}
