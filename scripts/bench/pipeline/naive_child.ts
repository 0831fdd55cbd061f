/** The naive pipeline's children: `worker` (one per camera) and `master`; see naive_driver.ts. */
import { FORWARD_EVERY, sample } from './workload.js';

const role = process.argv[2];
let handled = 0;
let forwarded = 0;
let replies = 0;

process.on('message', (m: { t: string; n?: number; frame?: Uint8Array; cam?: number }) => {
  if (m.t === 'frame' && role === 'worker') {
    const value = sample(m.frame!);
    handled++;
    void value;
    if (m.n! % FORWARD_EVERY === 0) {
      forwarded++;
      process.send!({ t: 'forward', n: m.n, frame: m.frame });
    }
  } else if (m.t === 'frame' && role === 'master') {
    handled++;
    process.send!({ t: 'reply', cam: m.cam, n: m.n, value: sample(m.frame!) });
  } else if (m.t === 'reply') {
    replies++;
  } else if (m.t === 'counts') {
    process.send!({ t: 'counts', handled, forwarded, replies });
  }
});
process.on('disconnect', () => process.exit(0));
