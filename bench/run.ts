/** `npm run bench`: every benchmark, one after the other, each reporting its own figures. */
import { benchLocalAws } from './local-aws.ts';
import { benchOrchestration } from './orchestration.ts';
import { benchPlanning } from './planning.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
await benchPlanning();
console.log('');
await benchLocalAws();
console.log('');
await benchOrchestration();
