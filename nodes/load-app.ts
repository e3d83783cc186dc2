/**
 * Loads an app module given as a path from the working directory: a `.js`/`.ts` file or
 * a directory with an `index` file. TypeScript apps load through tsx, so an app in a
 * checkout runs without a build step.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TroupeError } from '../protocol/troupe-error.js';
import type { AppDefinition } from '../runtime/service.js';
import { checkMigrations } from '../runtime/snapshot-migration.js';
import { checkVersions } from '../runtime/upcasters.js';

const INDEX_FILES = ['index.js', 'index.mjs', 'index.ts', 'index.mts'];

/** Resolves `path` (relative to cwd) to the app module file. */
export function resolveApp(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new TroupeError('TROUPE_BAD_APP', `app module ${path} does not exist`);
  if (!statSync(full).isDirectory()) return full;
  for (const name of INDEX_FILES) {
    const file = resolve(full, name);
    if (existsSync(file)) return file;
  }
  throw new TroupeError('TROUPE_BAD_APP', `app directory ${path} has no ${INDEX_FILES.join(' or ')}`);
}

/** Imports and checks the app module at `path`. */
export async function loadApp(path: string): Promise<AppDefinition> {
  const file = resolveApp(path);
  if (/\.[mc]?ts$/.test(file)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (cause) {
    throw new TroupeError('TROUPE_BAD_APP', `cannot load app ${path}: ${(cause as Error).message}`, { cause });
  }
  return checkApp(mod.default, path);
}

function checkApp(app: unknown, path: string): AppDefinition {
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_BAD_APP', `app ${path}: ${why}`);
  if (app === null || typeof app !== 'object') throw bad('the default export must be an app (defineApp({...}))');
  const a = app as Partial<AppDefinition>;
  if (typeof a.name !== 'string' || a.name === '') throw bad('`name` must be a non-empty string');
  if (!Array.isArray(a.services)) throw bad('`services` must be an array');
  const names = new Set<string>();
  for (const s of a.services) {
    if (s === null || typeof s !== 'object' || typeof s.name !== 'string') throw bad('every service needs a `name`');
    if (names.has(s.name)) throw bad(`service ${s.name} is defined twice`);
    names.add(s.name);
    if (s.machine === undefined || typeof s.machine.transition !== 'function') throw bad(`service ${s.name} needs an XState \`machine\``);
    if (!Array.isArray(s.on) || s.on.some((t: unknown) => typeof t !== 'string')) throw bad(`service ${s.name}: \`on\` must list event types`);
    if (s.key !== undefined && typeof s.key !== 'function') throw bad(`service ${s.name}: \`key\` must be a function`);
    checkVersions(s);
    checkMigrations(s);
  }
  if (a.placement === null || typeof a.placement !== 'object') throw bad('`placement` must map node ids to service names');
  for (const [node, list] of Object.entries(a.placement)) {
    for (const name of list) if (!names.has(name)) throw bad(`placement of ${node} names unknown service ${name}`);
    if (new Set(list).size !== list.length) throw bad(`placement of ${node} lists a service twice`);
  }
  return a as AppDefinition;
}
