/** `npm run bench`: every benchmark, one after the other, each reporting its own figures. */
import { benchLocalAws } from './local-aws.ts';
import { benchPlanning } from './planning.ts';

await benchPlanning();
console.log('');
await benchLocalAws();
