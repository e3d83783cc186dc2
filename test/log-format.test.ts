import t from 'tap';
import {
  formatChildLine,
  formatEvent,
  formatValue,
  prefixed,
  shouldColour,
  summarizeData,
  type LineStyle,
} from '../nodes/log-format.js';

const plain: LineStyle = { colour: false, width: 7 };
const coloured: LineStyle = { colour: true, width: 7 };
const n1 = { label: 'n1', sgr: '36' };

t.test('formatChildLine', async (t) => {
  t.test('turns a pino line into its message and fields after the node id', async (t) => {
    const line = '{"level":30,"time":1700000000000,"pid":42,"hostname":"h","node":"n1","msg":"link up","peer":"n2"}';
    t.equal(formatChildLine(n1, line, plain), 'n1      │ link up peer=n2');
    t.equal(formatChildLine(n1, '{"level":30,"msg":"hi","node":"n9"}', plain), 'n1      │ hi node=n9');
  });

  t.test('quotes values with spaces and shows objects as compact JSON', async (t) => {
    const line = JSON.stringify({ level: 30, msg: 'listening', url: 'http://127.0.0.1:7401', vc: { n1: 2 }, note: 'a b' });
    t.equal(formatChildLine(n1, line, plain), 'n1      │ listening url=http://127.0.0.1:7401 vc={"n1":2} note="a b"');
  });

  t.test('marks warnings and errors, and colours them when colour is on', async (t) => {
    const warn = JSON.stringify({ level: 40, msg: 'link down', peer: 'n2', code: 1006, reason: '' });
    t.equal(formatChildLine(n1, warn, plain), 'n1      │ WARN link down peer=n2 code=1006 reason=""');
    t.equal(
      formatChildLine(n1, warn, coloured),
      '\x1b[36mn1     \x1b[0m \x1b[2m│\x1b[0m \x1b[33mWARN link down peer=n2 code=1006 reason=""\x1b[0m',
    );
    const error = JSON.stringify({ level: 'error', msg: 'commit failed' });
    t.equal(formatChildLine(n1, error, plain), 'n1      │ ERROR commit failed');
  });

  t.test("shows a logged error's code and message, and its stack when the level is error", async (t) => {
    const err = { type: 'TroupeError', message: 'bad mac', code: 'TROUPE_PEER_AUTH_FAILED', stack: 'TroupeError: bad mac\n    at verify (x.js:1:1)' };
    t.equal(
      formatChildLine(n1, JSON.stringify({ level: 40, msg: 'refused', err }), plain),
      'n1      │ WARN refused err="TROUPE_PEER_AUTH_FAILED: bad mac"',
    );
    t.equal(
      formatChildLine(n1, JSON.stringify({ level: 50, msg: 'refused', err }), plain),
      'n1      │ ERROR refused err="TROUPE_PEER_AUTH_FAILED: bad mac"\nn1      │     at verify (x.js:1:1)',
    );
  });

  t.test('passes anything that is not a pino line through', async (t) => {
    for (const line of ['Error: Cannot find module', '{not json', '{"no":"level"}', '', '    at foo (bar.js:1:1)']) {
      t.equal(formatChildLine(n1, line, plain), `n1      │ ${line}`);
    }
  });
});

t.test('prefixed pads labels to one width and prefixes every line', async (t) => {
  t.equal(prefixed({ label: 'cluster', sgr: '1' }, 'a\nb', plain), 'cluster │ a\ncluster │ b');
});

t.test('formatEvent shows origin, type, short correlation id and data on one line', async (t) => {
  const event = {
    origin: 'n1',
    type: 'OrderPlaced',
    correlationId: 'V1StGXR8_Z5jdHi6B-myT',
    data: { orderId: 'o-1', sku: 'widget', amount: 30 },
  };
  t.equal(formatEvent(event, '36', false), 'n1 OrderPlaced        #V1StGXR8 orderId=o-1 sku=widget amount=30');
  t.equal(formatEvent({ ...event, data: undefined }, '36', false), 'n1 OrderPlaced        #V1StGXR8');
  t.match(formatEvent(event, '36', true), /^\x1b\[36mn1\x1b\[0m \x1b\[1mOrderPlaced/);
});

t.test('summarizeData keeps data to one short line', async (t) => {
  t.equal(summarizeData(null), '');
  t.equal(summarizeData(42), '42');
  t.equal(summarizeData('hello world'), '"hello world"');
  t.equal(summarizeData([1, 2]), '[1,2]');
  t.equal(summarizeData({ items: [{ sku: 'a', qty: 1 }], ok: true }), 'items=[{"sku":"a","qty":1}] ok=true');
  t.equal(summarizeData({ note: 'x'.repeat(200), after: 1 }), `note=${'x'.repeat(59)}… after=1`);
  const many = summarizeData(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, i])));
  t.equal(many.length, 100);
  t.match(many, /^field0=0 field1=1 .*…$/);
  t.equal(summarizeData({ a: 'b' }, 3), 'a=b');
  t.equal(summarizeData({ a: 'bc' }, 3), 'a=…');
});

t.test('formatValue leaves plain words bare and quotes the rest', async (t) => {
  t.equal(formatValue('n2'), 'n2');
  t.equal(formatValue(''), '""');
  t.equal(formatValue('a=b'), '"a=b"');
  t.equal(formatValue(false), 'false');
  t.equal(formatValue(null), 'null');
});

t.test('shouldColour only for a terminal without NO_COLOR', async (t) => {
  const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
  const pipe = {} as NodeJS.WritableStream;
  t.equal(shouldColour(tty, {}), true);
  t.equal(shouldColour(tty, { NO_COLOR: '1' }), false);
  t.equal(shouldColour(tty, { NO_COLOR: '' }), true);
  t.equal(shouldColour(pipe, {}), false);
});
