/**
 * The inspector page's files, served by every node so the page works offline: `GET /` is
 * the page and `GET /inspector/<file>` its scripts (compiled to `dist/inspector/*.js`) and
 * static files (`.html`, `.css`, `.svg` in the package's `inspector/` folder). Paths are
 * resolved from this module's own location, so the page is found whether the node runs
 * from `dist/` or from source. Only a plain file name is served — no folders, nothing
 * outside those two folders — and every answer carries a Content-Security-Policy that lets
 * the page load only from its node and open feeds only to loopback nodes.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TroupeError } from '../protocol/troupe-error.js';

/** This module's folder: `<package>/dist/runtime` when built, `<package>/runtime` under tsx. */
const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_ROOT = basename(dirname(HERE)) === 'dist' ? dirname(dirname(HERE)) : dirname(HERE);

/** Where the page's files are. */
export interface InspectorDirs {
  /** The compiled scripts (`.js`). */
  readonly scripts: string;
  /** The static files (`.html`, `.css`, `.svg`). */
  readonly statics: string;
}

/** The package's own: `dist/inspector` and `inspector`. */
export const INSPECTOR_DIRS: InspectorDirs = { scripts: join(PACKAGE_ROOT, 'dist', 'inspector'), statics: join(PACKAGE_ROOT, 'inspector') };

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A file name without folders, dots first or `..`: what may follow `/inspector/`. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * The page's policy: everything from this node only; feeds and fetches to loopback nodes
 * (the page may watch its node's peers), and nothing framed, posted or based elsewhere.
 */
export const INSPECTOR_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:* wss://127.0.0.1:* wss://localhost:* http://127.0.0.1:* http://localhost:* https://127.0.0.1:* https://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Whether `path` is one of the page's (`/` or under `/inspector/`). */
export function isInspectorPath(path: string): boolean {
  return path === '/' || path.startsWith('/inspector/');
}

/** Answers `GET path` with the page's file, or throws `TROUPE_NOT_FOUND`. */
export async function serveInspector(path: string, res: ServerResponse, dirs: InspectorDirs = INSPECTOR_DIRS): Promise<void> {
  const file = fileOf(path, dirs);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch (cause) {
    throw new TroupeError('TROUPE_NOT_FOUND', `no inspector file ${path}`, { cause });
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)],
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': INSPECTOR_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

/** The file a path names, or throws `TROUPE_NOT_FOUND` for anything but a served name. */
function fileOf(path: string, dirs: InspectorDirs): string {
  if (path === '/') return join(dirs.statics, 'index.html');
  let name: string;
  try {
    name = decodeURIComponent(path.slice('/inspector/'.length));
  } catch {
    name = '';
  }
  const type = extname(name);
  if (!FILE_NAME.test(name) || CONTENT_TYPES[type] === undefined) {
    throw new TroupeError('TROUPE_NOT_FOUND', `no inspector file ${path}`);
  }
  return join(type === '.js' ? dirs.scripts : dirs.statics, name);
}
