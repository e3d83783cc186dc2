import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isTroupeError } from '../protocol/troupe-error.js';
import { INSPECTOR_CSP, INSPECTOR_DIRS, isInspectorPath, serveInspector, type InspectorDirs } from '../runtime/inspector-assets.js';

/** Serves the page's files from `dirs` on a loopback port; answers 404 with the error code otherwise. */
async function serve(t: Test, dirs: InspectorDirs): Promise<string> {
  const server = createServer(function assetsOnRequest(req, res) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    serveInspector(path, res, dirs).catch((err: unknown) => {
      res.writeHead(isTroupeError(err, 'TROUPE_NOT_FOUND') ? 404 : 500).end(isTroupeError(err) ? err.code : String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A package-like tree: `inspector/` with the static files, `dist/inspector/` with a script, and a secret beside them. */
function tree(t: Test): InspectorDirs {
  const root = t.testdir({
    'secret.txt': 'do not serve',
    inspector: { 'index.html': '<!doctype html><title>troupe</title>', 'page.css': 'body{}', 'logo.svg': '<svg/>', 'page.ts': 'export {}' },
    dist: { inspector: { 'page.js': 'export {};', 'index.html': 'the wrong one' } },
  });
  return { scripts: join(root, 'dist', 'inspector'), statics: join(root, 'inspector') };
}

t.test('GET / is the page, with no-cache and a self-only policy', async (t) => {
  const url = await serve(t, tree(t));
  const res = await fetch(`${url}/`);
  t.equal(res.status, 200);
  t.equal(await res.text(), '<!doctype html><title>troupe</title>');
  t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.equal(res.headers.get('cache-control'), 'no-cache');
  t.equal(res.headers.get('content-security-policy'), INSPECTOR_CSP);
  t.match(INSPECTOR_CSP, /default-src 'self'/);
  const sources = INSPECTOR_CSP.split(';').flatMap((directive) => directive.trim().split(/\s+/).slice(1));
  const foreign = sources.filter((source) => !/^('self'|'none'|data:|(ws|wss|http|https):\/\/(127\.0\.0\.1|localhost):\*)$/.test(source));
  t.same(foreign, [], 'nothing but self and loopback');
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

t.test('scripts come from the compiled folder and other files from the static one, each with its type', async (t) => {
  const url = await serve(t, tree(t));
  const cases: [string, string, string][] = [
    ['/inspector/page.js', 'text/javascript; charset=utf-8', 'export {};'],
    ['/inspector/page.css', 'text/css; charset=utf-8', 'body{}'],
    ['/inspector/logo.svg', 'image/svg+xml', '<svg/>'],
    ['/inspector/index.html', 'text/html; charset=utf-8', '<!doctype html><title>troupe</title>'],
  ];
  for (const [path, type, body] of cases) {
    const res = await fetch(`${url}${path}`);
    t.equal(res.status, 200, path);
    t.equal(res.headers.get('content-type'), type, `${path} is ${type}`);
    t.equal(await res.text(), body);
  }
});

t.test('nothing outside the two folders is served: traversal, folders and other types are 404', async (t) => {
  const url = await serve(t, tree(t));
  const refused = [
    '/inspector/..%2fsecret.txt',
    '/inspector/%2e%2e%2fsecret.txt',
    '/inspector/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/inspector/..%5csecret.txt',
    '/inspector/.%2e/secret.txt',
    '/inspector/page.ts',
    '/inspector/',
    '/inspector/missing.js',
    '/inspector/%ff.js',
    '/inspector/.hidden.css',
  ];
  for (const path of refused) {
    const res = await fetch(`${url}${path}`);
    t.equal(res.status, 404, `${path} is refused`);
    t.equal(await res.text(), 'TROUPE_NOT_FOUND');
  }
});

t.test('a missing page is TROUPE_NOT_FOUND', async (t) => {
  const root = t.testdir({});
  mkdirSync(join(root, 'inspector'));
  writeFileSync(join(root, 'other.html'), 'x');
  const url = await serve(t, { scripts: root, statics: join(root, 'inspector') });
  t.equal((await fetch(`${url}/`)).status, 404);
});

t.test('the page paths are / and those under /inspector/; the package folders are found from the module', async (t) => {
  t.ok(isInspectorPath('/'));
  t.ok(isInspectorPath('/inspector/app.js'));
  t.notOk(isInspectorPath('/inspector'));
  t.notOk(isInspectorPath('/status'));
  t.match(INSPECTOR_DIRS.scripts, /[/\\]dist[/\\]inspector$/);
  t.match(INSPECTOR_DIRS.statics, /[/\\]inspector$/);
  t.notMatch(INSPECTOR_DIRS.statics, /[/\\]dist[/\\]/);
});
