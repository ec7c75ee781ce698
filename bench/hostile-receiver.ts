/**
 * The hostile receiver of test/support/hostile-receiver.ts, run as its own process (forked by
 * scenarios/hostile-receivers.ts). Its floods (an endless body, a 10 MB header) write as fast as
 * Herald reads: in the driver's process they stalled the publishing clients and the healthy
 * receiver's clock, and the bench measured itself. Answers `{ready, base}` once listening; exits
 * on `exit` or when the driver goes away.
 */
import { startHostileReceiver } from '../test/support/hostile-receiver.js';

const hostile = await startHostileReceiver();
process.on('message', (raw) => {
  if ((raw as { cmd?: string }).cmd === 'exit') void hostile.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true, base: hostile.url('hang').slice(0, -'/hang'.length) });
