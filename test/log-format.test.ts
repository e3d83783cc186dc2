import t from 'tap';
import { formatChildLine, formatEvent, highlight, prefixed, shouldColour, type LineStyle } from '../nodes/log-format.js';

const plain: LineStyle = { colour: false, width: 7 };
const coloured: LineStyle = { colour: true, width: 7 };
const n1 = { label: 'n1', sgr: '36' };

t.test('formatChildLine', async (t) => {
  t.test('shows a pino line as its level, message and fields after the node id', async (t) => {
    const line = '{"level":30,"time":1700000000000,"pid":42,"hostname":"h","node":"n1","msg":"link up","peer":"n2"}';
    t.equal(formatChildLine(n1, line, plain), 'n1      │ INFO: link up {"peer":"n2"}');
    const warn = JSON.stringify({ level: 40, node: 'n1', msg: 'link down', peer: 'n2', code: 1006 });
    t.equal(formatChildLine(n1, warn, plain), 'n1      │ WARN: link down {"peer":"n2","code":1006}');
  });

  t.test('colours the prefix and the level when colour is on', async (t) => {
    const warn = JSON.stringify({ level: 40, msg: 'link down' });
    const line = formatChildLine(n1, warn, coloured);
    t.match(line, /^\x1b\[36mn1     \x1b\[0m \x1b\[2m│\x1b\[0m /);
    t.match(line, /\x1b\[33mWARN\x1b\[39m/);
  });

  t.test("prefixes every line of a logged error, its stack included", async (t) => {
    const err = { type: 'TroupeError', message: 'bad mac', code: 'TROUPE_PEER_AUTH_FAILED', stack: 'TroupeError: bad mac\n    at verify (x.js:1:1)' };
    const lines = formatChildLine(n1, JSON.stringify({ level: 50, msg: 'refused', err }), plain).split('\n');
    t.match(lines[0], /^n1 {6}│ ERROR: refused/);
    t.ok(lines.length > 2, 'the error spans several lines');
    t.ok(lines.every((line) => line.startsWith('n1      │ ')), 'each of them prefixed');
    t.ok(lines.some((line) => line.includes('TROUPE_PEER_AUTH_FAILED')));
    t.ok(lines.some((line) => line.includes('at verify (x.js:1:1)')));
  });

  t.test('passes anything that is not a pino line through', async (t) => {
    for (const line of ['Error: Cannot find module', '{not json', '', '    at foo (bar.js:1:1)']) {
      t.equal(formatChildLine(n1, line, plain), `n1      │ ${line}`);
    }
  });
});

t.test('prefixed pads labels to one width and prefixes every line', async (t) => {
  t.equal(prefixed({ label: 'cluster', sgr: '1' }, 'a\nb', plain), 'cluster │ a\ncluster │ b');
});

t.test('highlight marks the launcher’s warnings and errors as pino-pretty marks a node’s', async (t) => {
  t.equal(highlight('warn', 'slow', false), 'WARN: slow');
  t.equal(highlight('error', 'gone', true), '\x1b[31mERROR: gone\x1b[0m');
});

t.test('formatEvent shows origin, type, short correlation id and data on one line', async (t) => {
  const event = {
    origin: 'n1',
    type: 'OrderPlaced',
    correlationId: 'V1StGXR8_Z5jdHi6B-myT',
    data: { orderId: 'o-1', sku: 'widget', amount: 30 },
  };
  t.equal(formatEvent(event, '36', false), 'n1 OrderPlaced        #V1StGXR8 {"orderId":"o-1","sku":"widget","amount":30}');
  t.equal(formatEvent({ ...event, data: undefined }, '36', false), 'n1 OrderPlaced        #V1StGXR8');
  t.match(formatEvent(event, '36', true), /^\x1b\[36mn1\x1b\[0m \x1b\[1mOrderPlaced/);
  const long = formatEvent({ ...event, data: { note: 'x'.repeat(200) } }, '36', false);
  t.equal(long.length, 'n1 OrderPlaced        #V1StGXR8 '.length + 100);
  t.match(long, /…$/);
});

t.test('shouldColour only for a terminal without NO_COLOR', async (t) => {
  const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
  const pipe = {} as NodeJS.WritableStream;
  t.equal(shouldColour(tty, {}), true);
  t.equal(shouldColour(tty, { NO_COLOR: '1' }), false);
  t.equal(shouldColour(tty, { NO_COLOR: '' }), true);
  t.equal(shouldColour(pipe, {}), false);
});
