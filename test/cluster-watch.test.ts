import t from 'tap';
import type { NodeStatus } from '../inspector/feed.js';
import { missingLinks } from '../nodes/cluster-watch.js';

t.test('missingLinks', async (t) => {
  const ids = ['n1', 'n2', 'n3'];
  const statusWith = (id: string, peers: NodeStatus['peers']): NodeStatus =>
    ({ id, vc: {}, peers, services: [], log: { size: 0, buffered: 0 }, recovering: false });
  const status = (id: string, up: string[]): NodeStatus =>
    statusWith(id, ids.filter((other) => other !== id).map((other) => ({ id: other, connected: up.includes(other), outbox: 0, since: 0 })));

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
      ['n1', statusWith('n1', [])],
      ['n2', status('n2', ['n1'])],
    ]);
    t.same(missingLinks(['n1', 'n2'], statuses), ['link n1–n2 is down']);
  });

  t.test('checks only the pairs it is given: with a hub, devices are not linked to each other', async (t) => {
    const statuses = new Map<string, NodeStatus | undefined>([
      ['n1', status('n1', ['n2', 'n3'])],
      ['n2', status('n2', ['n1'])],
      ['n3', status('n3', ['n1'])],
    ]);
    t.same(missingLinks(ids, statuses, [['n1', 'n2'], ['n1', 'n3']]), []);
    statuses.set('n3', status('n3', []));
    t.same(missingLinks(ids, statuses, [['n1', 'n2'], ['n1', 'n3']]), ['link n1–n3 is down']);
  });
});
