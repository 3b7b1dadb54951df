// Small DOM helpers shared by the views: element building, formatting and the message
// area (an aria-live region).

/** $ returns the element with the id, or throws: a missing element is a page bug. */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

/**
 * h builds an element: h('button', {class: 'btn', onclick: f}, 'Text', child).
 * Attributes starting with "on" become listeners; true/false toggle boolean attributes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** money formats integer cents in the currency. */
export function money(cents, currency = 'USD') {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** dateTime formats an RFC 3339 time for people. */
export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** clock formats a duration in milliseconds as m:ss (or h:mm:ss). */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hrs = Math.floor(total / 3600);
  const mm = hrs > 0 ? String(m).padStart(2, '0') : String(m);
  return `${hrs > 0 ? `${hrs}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** compact formats a count: 1234 → "1,234", 1234567 → "1.2M". */
export function compact(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return new Intl.NumberFormat().format(Math.round(n));
}

/** prefersReducedMotion reports the user's motion preference. */
export function prefersReducedMotion() {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/**
 * Messages shows notices at the top of the page. Errors are role="alert" (announced at
 * once); others are announced politely by the region. A notice with a key replaces the
 * previous one with the same key.
 */
export class Messages {
  constructor(region) {
    this.region = region;
    this.byKey = new Map();
  }

  /** show adds a notice; kind is info, success, warning or error. Returns a remover. */
  show(kind, text, { key, timeout } = {}) {
    if (key && this.byKey.has(key)) this.byKey.get(key).remove();
    const close = h('button', { type: 'button', class: 'msg-close', 'aria-label': 'Dismiss' }, '×');
    const el = h('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : null },
      h('span', { class: 'msg-icon', 'aria-hidden': 'true' }, icons[kind] || icons.info),
      h('p', { class: 'msg-text' }, text),
      close);
    const remove = () => {
      el.remove();
      if (key && this.byKey.get(key) === el) this.byKey.delete(key);
    };
    close.addEventListener('click', remove);
    if (key) this.byKey.set(key, el);
    this.region.append(el);
    while (this.region.children.length > 4) this.region.firstElementChild.remove();
    const ms = timeout ?? (kind === 'error' || kind === 'warning' ? 12000 : 6000);
    if (ms > 0) setTimeout(remove, ms);
    return remove;
  }

  /** clear removes the notice with the key, if any. */
  clear(key) {
    this.byKey.get(key)?.remove();
    this.byKey.delete(key);
  }
}

const icons = { info: 'i', success: '✓', warning: '!', error: '!' };
