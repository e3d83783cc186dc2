/**
 * Building DOM and SVG by hand, as plain functions: `h('div', { class: 'card' }, ...)`.
 * An attribute whose value is `undefined` or `false` is left out; a child that is
 * `null`, `undefined` or `false` is skipped; strings become text nodes.
 */

/** Attribute values; functions under `on…` names become listeners. */
export type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
/** What may go inside an element. */
export type Child = Node | string | number | null | undefined | false;

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el: Element, attrs: Attrs, children: readonly (Child | readonly Child[])[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | readonly Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  fill(el, attrs, children);
  return el;
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | readonly Child[])[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  fill(el, attrs, children);
  return el;
}

/**
 * An `<svg>` of that size. Arrowheads are markers defined once in `index.html`
 * (`url(#arrow)`, `url(#arrow-muted)`, `url(#arrow-warn)`, `url(#arrow-cause)`).
 */
export function svgCanvas(width: number, height: number, attrs: Attrs = {}, ...children: (Child | readonly Child[])[]): SVGSVGElement {
  return s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, ...attrs }, ...children);
}

/** Time left until `due` (ms since the epoch), as `3.2 s`, `4 min 05 s`, or `due`. */
export function countdown(due: number, now: number): string {
  const ms = due - now;
  if (ms <= 0) return 'due';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** A wall-clock time of day, `12:03:05`. */
export function timeOfDay(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** A JSON value, pretty, for a `<pre>`. */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}
