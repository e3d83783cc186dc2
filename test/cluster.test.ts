import t from 'tap';
import { join } from 'node:path';
import type { AppDefinition } from '../runtime/service.js';
import {
  clusterLayout,
  clusterNodes,
  describeExit,
  missingLinks,
  nodeArgs,
  parseClusterArgs,
  urlHost,
  type NodeStatus,
} from '../nodes/cluster.js';
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

function app(fields: Partial<AppDefinition>): AppDefinition {
  return { name: 'orders', services: [], placement: {}, ...fields };
}

t.test('parseClusterArgs', async (t) => {
  t.test('fills in the defaults', async (t) => {
    t.same(parseClusterArgs(['--app', 'examples/orders']), {
      app: 'examples/orders',
      basePort: 7400,
      dataDir: '.troupe',
      fresh: false,
      demo: true,
    });
  });

  t.test('reads every flag', async (t) => {
    t.same(
      parseClusterArgs([
        '--app=examples/orders',
        '--base-port',
        '9000',
        '--data',
        '/tmp/d',
        '--fresh',
        '--no-demo',
        '--secret',
        's3',
        '--host',
        '0.0.0.0',
      ]),
      { app: 'examples/orders', basePort: 9000, dataDir: '/tmp/d', fresh: true, demo: false, secret: 's3', host: '0.0.0.0' },
    );
  });

  const bad: [string, string[]][] = [
    ['an unknown flag', ['--app', 'a', '--nodes', '3']],
    ['a missing --app', ['--fresh']],
    ['an empty --app', ['--app', '']],
    ['--app without a value', ['--app']],
    ['a positional argument', ['--app', 'a', 'extra']],
    ['a non-numeric port', ['--app', 'a', '--base-port', 'x74']],
    ['a fractional port', ['--app', 'a', '--base-port', '7400.5']],
    ['a port out of range', ['--app', 'a', '--base-port', '70000']],
    ['port zero', ['--app', 'a', '--base-port', '0']],
    ['an empty secret', ['--app', 'a', '--secret', '']],
  ];
  for (const [what, argv] of bad) {
    t.test(`rejects ${what} with TROUPE_BAD_FLAGS`, async (t) => {
      t.throws(
        () => parseClusterArgs(argv),
        { name: 'TroupeError', code: 'TROUPE_BAD_FLAGS' },
      );
    });
  }

  t.test('names the bad flag', async (t) => {
    t.throws(() => parseClusterArgs(['--app', 'a', '--nodes', '3']), { message: /unknown flag --nodes$/ });
    try {
      parseClusterArgs(['--app', 'a', '--base-port', 'abc']);
      t.fail('should throw');
    } catch (err) {
      t.match((err as Error).message, /--base-port.*'abc'/);
    }
  });
});

t.test('clusterNodes takes cluster.nodes, else the placement, else fails', async (t) => {
  t.same(clusterNodes(app({ cluster: { nodes: ['a', 'b', 'c'] }, placement: { a: ['x'] } })), ['a', 'b', 'c']);
  t.same(clusterNodes(app({ placement: { n1: ['order'], n2: ['payment'] } })), ['n1', 'n2']);
  t.throws(
    () => clusterNodes(app({})),
    { name: 'TroupeError', code: 'TROUPE_BAD_APP' },
  );
});

t.test('clusterLayout', async (t) => {
  const options = { basePort: 7400, dataDir: '/data', appName: 'orders', host: '127.0.0.1' };

  t.test('puts nodes on consecutive ports after the base port, each in its own data directory', async (t) => {
    const plans = clusterLayout(['n1', 'n2', 'n3'], options);
    t.same(
      plans.map((plan) => [plan.id, plan.port, plan.url, plan.dataDir]),
      [
        ['n1', 7401, 'http://127.0.0.1:7401', join('/data', 'orders', 'n1')],
        ['n2', 7402, 'http://127.0.0.1:7402', join('/data', 'orders', 'n2')],
        ['n3', 7403, 'http://127.0.0.1:7403', join('/data', 'orders', 'n3')],
      ],
    );
  });

  t.test('has each node dial every node before it, so every pair is linked exactly once', async (t) => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const plans = clusterLayout(ids, options);
    t.same(plans[0].peers, []);
    t.same(plans[2].peers, ['ws://127.0.0.1:7401', 'ws://127.0.0.1:7402']);
    const byPort = new Map(plans.map((plan) => [`ws://127.0.0.1:${plan.port}`, plan.id]));
    const links = plans.flatMap((plan) => plan.peers.map((peer) => [plan.id, byPort.get(peer)!].sort().join('-')));
    t.equal(links.length, (ids.length * (ids.length - 1)) / 2);
    t.equal(new Set(links).size, links.length);
  });

  t.test('dials loopback when the nodes listen on a wildcard address, and brackets IPv6', async (t) => {
    t.equal(clusterLayout(['a', 'b'], { ...options, host: '0.0.0.0' })[1].peers[0], 'ws://127.0.0.1:7401');
    t.equal(urlHost('::'), '[::1]');
    t.equal(urlHost('::1'), '[::1]');
    t.equal(urlHost('localhost'), 'localhost');
  });

  t.test('fails when the ports run past 65535', async (t) => {
    t.ok(clusterLayout(['a', 'b'], { ...options, basePort: 65533 }));
    t.throws(
      () => clusterLayout(['a', 'b', 'c'], { ...options, basePort: 65533 }),
      { name: 'TroupeError', code: 'TROUPE_BAD_FLAGS' },
    );
  });

  t.test('refuses ids and app names that are not safe directory names, and repeated ids', async (t) => {
    for (const ids of [['n1', '..'], ['n1', 'a/b'], ['n1', ''], ['n1', 'n1']]) {
      t.throws(
        () => clusterLayout(ids, options),
        { name: 'TroupeError', code: 'TROUPE_BAD_APP' },
        ids.join(','),
      );
    }
    t.throws(
      () => clusterLayout(['n1'], { ...options, appName: '../etc' }),
      { name: 'TroupeError', code: 'TROUPE_BAD_APP' },
    );
  });
});

t.test('nodeArgs passes the layout and the app, never the secret', async (t) => {
  const [, n2] = clusterLayout(['n1', 'n2'], { basePort: 7400, dataDir: '/d', appName: 'orders', host: '127.0.0.1' });
  t.same(nodeArgs(n2, { app: '/repo/examples/orders', host: '127.0.0.1', cluster: 'orders' }), [
    'node',
    '--id', 'n2',
    '--port', '7402',
    '--data', join('/d', 'orders', 'n2'),
    '--app', '/repo/examples/orders',
    '--host', '127.0.0.1',
    '--cluster', 'orders',
    '--peer', 'ws://127.0.0.1:7401',
  ]);
});

t.test('describeExit says how a process ended', async (t) => {
  t.equal(describeExit({ code: 0, signal: null }), 'exited cleanly');
  t.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
  t.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'was killed by SIGKILL');
  t.equal(describeExit({ code: null, signal: null }), 'could not be started');
});

t.test('missingLinks', async (t) => {
  const ids = ['n1', 'n2', 'n3'];
  const status = (id: string, up: string[]): NodeStatus => ({
    id,
    peers: ids.filter((other) => other !== id).map((other) => ({ id: other, connected: up.includes(other) })),
  });

  t.test('is empty when every node serves and every pair is connected both ways', async (t) => {
    const statuses = new Map(ids.map((id) => [id, status(id, ids)]));
    t.same(missingLinks(ids, statuses), []);
  });

  t.test('names nodes that do not serve, and links either end reports down', async (t) => {
    const statuses = new Map<string, NodeStatus | undefined>([
      ['n1', status('n1', ['n2', 'n3'])],
      ['n2', status('n2', ['n1'])],
      ['n3', status('n3', ['n1'])],
    ]);
    t.same(missingLinks(ids, statuses), ['link n2–n3 is down']);
    statuses.set('n3', undefined);
    t.same(missingLinks(ids, statuses), ['n3 is not serving']);
  });

  t.test('counts a link as down until the peer is known by id', async (t) => {
    const statuses = new Map<string, NodeStatus | undefined>([
      ['n1', { id: 'n1', peers: [] }],
      ['n2', status('n2', ['n1'])],
    ]);
    t.same(missingLinks(['n1', 'n2'], statuses), ['link n1–n2 is down']);
  });
});

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
