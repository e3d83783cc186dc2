/**
 * The node's admin token, for a cluster started with `--admin-token`. The person opens
 * the page as `http://127.0.0.1:PORT/#token=…` (a fragment never leaves the browser) or
 * types the token into the login field the page shows when a node answers 401. It is kept
 * in sessionStorage — this tab only, gone when it closes — and the fragment is cleared
 * from the address bar. Fetches send it as `Authorization: Bearer …`; feeds, which cannot
 * carry headers from a browser, as `?access_token=…`.
 */
import { h } from './dom.js';

const KEY = 'troupe.adminToken';

/** Moves a `#token=…` fragment into sessionStorage and leaves the address bar without it. */
export function takeTokenFromHash(): void {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (match === null) return;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/cluster`);
}

/** The token the page holds, if any. */
export function adminToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** Headers that carry the token on a fetch. */
export function authHeaders(): Record<string, string> {
  const token = adminToken();
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** `url` with the token as its `access_token` parameter, for a WebSocket. */
export function withToken(url: string): string {
  const token = adminToken();
  if (token === undefined) return url;
  const withParam = new URL(url);
  withParam.searchParams.set('access_token', token);
  return withParam.toString();
}

/** A node answered 401: the token is missing or wrong. */
export class Unauthorized extends Error {
  constructor(path: string) {
    super(`${path}: the node wants its admin token`);
    this.name = 'Unauthorized';
  }
}

/** The login field: stores what is typed and reloads the page with it. */
export function loginView(): HTMLElement {
  const input = h('input', { type: 'password', autocomplete: 'off', placeholder: 'admin token', 'data-testid': 'login-token' });
  function login(): void {
    if (input.value === '') return;
    sessionStorage.setItem(KEY, input.value);
    location.reload();
  }
  function loginOnKey(event: Event): void {
    if ((event as KeyboardEvent).key === 'Enter') login();
  }
  input.addEventListener('keydown', loginOnKey);
  const wrong = adminToken() !== undefined;
  return h('div', { class: 'card login', 'data-testid': 'login' },
    h('h2', {}, 'This node asks for its admin token'),
    h('p', {}, wrong
      ? 'The token this tab holds is not the node\'s. Type the one the cluster was started with (--admin-token).'
      : 'The cluster was started with --admin-token. Type it here, or open this page as …/#token=<token>.'),
    input,
    h('button', { type: 'button', onclick: login, 'data-testid': 'login-submit' }, 'Log in'));
}
