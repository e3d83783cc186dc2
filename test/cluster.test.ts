import t from 'tap';
import { describeExit } from '../nodes/cluster.js';

t.test('describeExit says how a process ended', async (t) => {
  t.equal(describeExit({ code: 0, signal: null }), 'exited cleanly');
  t.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
  t.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'was killed by SIGKILL');
  t.equal(describeExit({ code: null, signal: null }), 'could not be started');
});
