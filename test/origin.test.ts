import t from 'tap';
import fc from 'fast-check';
import { isOfNode, nodeOf, originOf } from '../protocol/origin.js';

t.test('an origin is of the node it names, with or without an incarnation', async (t) => {
  t.ok(isOfNode('d01', 'd01'));
  t.ok(isOfNode('d01~V1StGX', 'd01'));
  t.notOk(isOfNode('d010~V1StGX', 'd01'), 'a longer node id that starts with the same letters is another node');
  t.notOk(isOfNode('d010', 'd01'));
  t.notOk(isOfNode('d0', 'd01'));
  t.notOk(isOfNode('gw~V1StGX', 'd01'));
});

t.test('isOfNode agrees with nodeOf on every origin', async (t) => {
  const id = fc.stringMatching(/^[a-z0-9-]{1,6}$/);
  fc.assert(
    fc.property(id, fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), { nil: undefined }), id, (node, incarnation, other) => {
      const origin = incarnation === undefined ? node : originOf(node, incarnation);
      return isOfNode(origin, other) === (nodeOf(origin) === other) && isOfNode(origin, node);
    }),
  );
  t.pass('no counterexample');
});
