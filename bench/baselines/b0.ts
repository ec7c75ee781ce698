/**
 * B0, the machine's limit: a bare `undici.request` loop that POSTs the same signed ~1 KB
 * payload Herald delivers, to the same receiver, with the same concurrency, and stores
 * nothing. Forked by the driver with `URL COUNT CONCURRENCY`; reports `{done}` when finished and exits when told to.
 */
import { request } from 'undici';
import { baselineMsgId, benchPayload, nowMs, signedHeaders } from '../payload.js';

const [url = '', countArg = '0', concurrencyArg = '16'] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const deadline = Date.now() + 120_000;

let next = 0;
let errors = 0;

async function loop(): Promise<void> {
  while (next < count && Date.now() < deadline) {
    const seq = next++;
    const msgId = baselineMsgId('b0', seq);
    const body = JSON.stringify(benchPayload(seq, nowMs()));
    try {
      const res = await request(url, { method: 'POST', headers: signedHeaders(msgId, body), body });
      await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) errors++;
    } catch {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
process.send?.({ done: true, sent: next, errors });
// Stay until told to go, so the driver can read this process's CPU time first.
process.on('message', (msg) => {
  if ((msg as { cmd?: string }).cmd === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
