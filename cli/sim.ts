import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import { FaultSyntaxError } from '../sandbox/aws/faults.ts';
import { LocalAws } from '../sandbox/aws/local-aws.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, type Io, number } from './io.ts';

export interface SimOptions {
  speed?: string;
  seed?: string;
  port?: string;
  fault?: string[];
}

/**
 * `lifeboat sim`: the local AWS seeded with every customer in config/customers. The first line
 * printed is one JSON object with the endpoints and the control URL; it serves until interrupted.
 */
export async function runSim(options: SimOptions, io: Io, signal?: AbortSignal): Promise<number> {
  const plans = await new FilePlanSource(CUSTOMERS_DIR).loadAll();
  let aws: LocalAws;
  try {
    aws = new LocalAws({
      plans,
      speed: number('speed', options.speed, 1),
      seed: number('seed', options.seed, 1),
      port: number('port', options.port, 0),
      faults: options.fault ?? [],
    });
  } catch (error) {
    if (error instanceof FaultSyntaxError) throw new UsageError(error.message);
    throw error;
  }
  await aws.start();
  io.out(JSON.stringify({ endpoints: aws.endpoints, control: aws.controlUrl }));
  io.err(
    `Local AWS for ${plans.map((p) => p.customer.id).join(', ')} at speed ${aws.clock.speed}x; faults: ${aws.faults.list().join(', ') || 'none'}. Ctrl-C stops it.`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop);
  });
  await aws.stop();
  return 0;
}
