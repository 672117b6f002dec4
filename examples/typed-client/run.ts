/**
 * The example against a running gateway (`npm start` first):
 *
 *   npx tsx examples/typed-client/run.ts [http://127.0.0.1:4000/graphql]
 *
 * signs up a new account, activates Model Studio, creates a sub-workspace with qwen-plus
 * authorized and an API key there, and prints what the key may call.
 */
import { randomBytes } from 'node:crypto';
import { walkThrough } from './client.js';

const endpoint = process.argv[2] ?? 'http://127.0.0.1:4000/graphql';
const result = await walkThrough(endpoint, `example-${randomBytes(4).toString('hex')}`, 'an example passphrase');
console.log(JSON.stringify(result, null, 2));
