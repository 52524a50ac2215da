#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx lifeboat` needs no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns that Node 20 support ends in 2027; the warning would drown the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main, exitWhenWritten } = await import('../cli/main.ts');
await exitWhenWritten(await main(process.argv.slice(2)));
