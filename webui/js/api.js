// The one place that talks HTTP to the TicketBlitz API (docs/api.md): tokens, JSON, error
// bodies, Idempotency-Key and X-Queue-Pass headers and the automatic retry of
// UNAVAILABLE answers.

const TOKEN_KEY = 'tb.token';
const USER_KEY = 'tb.user';
const ADMIN_KEY = 'tb.adminToken';

/** The most automatic retries of a 503 UNAVAILABLE answer. */
const MAX_RETRIES = 3;

/** ApiError is a failed request: the error body of docs/api.md, or a network failure. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}, retryAfter = 0) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfter = retryAfter;
  }
}

/** newIdempotencyKey returns a random UUID, also where crypto.randomUUID is missing. */
export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Api is a client of the public API for the person using the page. It keeps the fan
 * token (and an optional admin token) in sessionStorage and fires an "auth" event when
 * the signed-in user changes.
 */
export class Api extends EventTarget {
  constructor(storage = window.sessionStorage) {
    super();
    this.storage = storage;
    this.skew = 0;
  }

  /**
   * serverNow is the server's clock as far as the Date headers tell (to the second):
   * countdowns to expires_at stay right on a device whose clock is off.
   */
  serverNow() {
    return Date.now() + this.skew;
  }

  noteDate(header) {
    const server = Date.parse(header || '');
    if (Number.isNaN(server)) return;
    const skew = server - Date.now();
    // Date has whole seconds; only a clock that is clearly off is corrected.
    this.skew = Math.abs(skew) > 2000 ? skew : 0;
  }

  get token() { return this.storage.getItem(TOKEN_KEY) || ''; }
  get user() { return this.storage.getItem(USER_KEY) || ''; }
  get signedIn() { return this.token !== ''; }

  get adminToken() { return this.storage.getItem(ADMIN_KEY) || ''; }
  set adminToken(v) {
    if (v) this.storage.setItem(ADMIN_KEY, v);
    else this.storage.removeItem(ADMIN_KEY);
  }

  /** signIn gets a dev token for userId (POST /api/v1/auth/token). */
  async signIn(userId) {
    const res = await this.request('POST', '/api/v1/auth/token', { body: { user_id: userId } });
    this.storage.setItem(TOKEN_KEY, res.token);
    this.storage.setItem(USER_KEY, userId);
    this.dispatchEvent(new Event('auth'));
    return res;
  }

  signOut() {
    this.storage.removeItem(TOKEN_KEY);
    this.storage.removeItem(USER_KEY);
    this.dispatchEvent(new Event('auth'));
  }

  /**
   * request sends one API call and returns the decoded JSON body.
   * options: body (sent as JSON), auth (send the fan token), admin (send the admin
   * token), idempotencyKey, queuePass (sent as X-Queue-Pass), onRetry(seconds, attempt)
   * called before each automatic retry of an UNAVAILABLE answer, signal.
   */
  async request(method, path, options = {}) {
    const { body, auth = false, admin = false, idempotencyKey, queuePass, onRetry, signal } = options;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, path, { body, auth, admin, idempotencyKey, queuePass, signal });
      } catch (err) {
        const unavailable = err instanceof ApiError && err.code === 'UNAVAILABLE';
        if (unavailable && attempt >= MAX_RETRIES) err.exhausted = true;
        if (!unavailable || attempt >= MAX_RETRIES || signal?.aborted) throw err;
        const seconds = Math.min(Math.max(err.retryAfter || 1, 1), 5);
        onRetry?.(seconds, attempt + 1);
        await sleep(seconds * 1000);
      }
    }
  }

  async once(method, path, { body, auth, admin, idempotencyKey, queuePass, signal }) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = admin ? this.adminToken : auth ? this.token : '';
    if ((auth || admin) && !token) {
      throw new ApiError(401, 'UNAUTHENTICATED', admin ? 'no admin token' : 'not signed in');
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    if (queuePass) headers['X-Queue-Pass'] = queuePass;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: 'no-store',
      });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(0, 'NETWORK', 'the server could not be reached');
    }
    this.noteDate(res.headers.get('Date'));
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (res.ok) return data ?? {};
    const e = data?.error ?? {};
    const retryAfter = Number.parseInt(res.headers.get('Retry-After') || '0', 10) || 0;
    const err = new ApiError(res.status, e.code || `HTTP_${res.status}`, e.message || res.statusText, e.details, retryAfter);
    if (err.code === 'UNAUTHENTICATED' && auth && !admin && this.signedIn) this.signOut();
    throw err;
  }
}
