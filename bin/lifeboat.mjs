#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx lifeboat` needs no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns that Node 20 support ends in 2027; the warning would drown the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/main.ts');
// Exit with the code even if something still holds the event loop (a sandbox run left behind
// by `quit`, a socket closing): the command has said everything it had to say.
process.exit(await main(process.argv.slice(2)));
