import t from 'tap';
import { join } from 'node:path';
import type { AppDefinition } from '../runtime/service.js';
import { clusterLayout, clusterNodes, linkedPairs, nodeArgs, parseClusterArgs, urlHost } from '../nodes/cluster-plan.js';

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
        '--inspect',
        'ws://localhost:8080',
        '--admin-token',
        'tok',
        '--insecure-admin',
      ]),
      {
        app: 'examples/orders',
        basePort: 9000,
        dataDir: '/tmp/d',
        fresh: true,
        demo: false,
        secret: 's3',
        host: '0.0.0.0',
        inspect: 'ws://localhost:8080',
        adminToken: 'tok',
        insecureAdmin: true,
      },
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
    ['an empty admin token', ['--app', 'a', '--admin-token', '']],
    ['an --inspect that is not a URL', ['--app', 'a', '--inspect', 'localhost:8080']],
    ['an --inspect that is not ws:// or wss://', ['--app', 'a', '--inspect', 'http://localhost:8080']],
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
    '--chaos',
    '--peer', 'ws://127.0.0.1:7401',
  ]);
});

t.test('nodeArgs passes --inspect on to every node', async (t) => {
  const plans = clusterLayout(['n1', 'n2'], { basePort: 7400, dataDir: '/d', appName: 'orders', host: '127.0.0.1' });
  for (const plan of plans) {
    const args = nodeArgs(plan, { app: 'examples/orders', host: '127.0.0.1', cluster: 'orders', inspect: 'ws://localhost:8080' });
    t.same(args.slice(args.indexOf('--inspect')), ['--inspect', 'ws://localhost:8080'], plan.id);
  }
  t.notOk(nodeArgs(plans[0], { app: 'a', host: '127.0.0.1', cluster: 'orders' }).includes('--inspect'), 'and nothing without it');
});

t.test('nodeArgs passes --insecure-admin on, and never the admin token (it goes in the environment)', async (t) => {
  const [plan] = clusterLayout(['n1'], { basePort: 7400, dataDir: '/d', appName: 'orders', host: '0.0.0.0' });
  t.ok(nodeArgs(plan, { app: 'a', host: '0.0.0.0', cluster: 'orders', insecureAdmin: true }).includes('--insecure-admin'));
  const args = nodeArgs(plan, { app: 'a', host: '127.0.0.1', cluster: 'orders' });
  t.notOk(args.includes('--insecure-admin'), 'and nothing without it');
  t.notOk(args.some((arg) => arg.startsWith('--admin-token')), 'no token on the command line');
});

t.test('with a hub, every other node dials the hub alone and the hub dials nobody', async (t) => {
  const options = { basePort: 7400, dataDir: '/data', appName: 'edge', host: '127.0.0.1', hub: 'gw' };
  const plans = clusterLayout(['gw', 'd1', 'd2'], options);
  t.same(plans.map((plan) => [plan.id, plan.peers]), [['gw', []], ['d1', ['ws://127.0.0.1:7401']], ['d2', ['ws://127.0.0.1:7401']]]);
  t.same(linkedPairs(plans), [['gw', 'd1'], ['gw', 'd2']], 'the links the launcher waits for');
  t.throws(() => clusterLayout(['d1'], options), { code: 'TROUPE_BAD_APP' }, 'a hub that is not a node');
});

t.test('linkedPairs names each pair of a mesh once', async (t) => {
  const plans = clusterLayout(['n1', 'n2', 'n3'], { basePort: 7400, dataDir: '/data', appName: 'orders', host: '0.0.0.0' });
  t.same(linkedPairs(plans), [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']]);
});
