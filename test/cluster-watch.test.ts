import t from 'tap';
import { missingLinks, type NodeStatus } from '../nodes/cluster-watch.js';

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
