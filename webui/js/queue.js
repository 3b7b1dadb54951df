// The waiting room in the fan view: when the open event's room is enabled, the fan joins
// its queue and follows the ticket (over /ws/queue/{ticket_id}, or, while the websocket
// is unavailable, with reads of GET /api/v1/queue/{ticket_id}?wait_ms=2000 one after the
// other, each answered at once when the ticket changes and after 2 s otherwise): their
// place, a progress bar and a wait that counts down. Once admitted, the seat map is back
// and every hold carries the ticket's pass (X-Queue-Pass) until it expires.
//
// A waiting ticket's follow_after_ms says how long to wait, from receiving it, before
// opening the websocket or reading the ticket again (the server spreads a rush's opens
// with it). The page shows the ticket at once, its wait counting down from the answer,
// and opens the websocket (or polls) only once that time and up to a tenth more, drawn
// at random, have passed; the same bound holds for every reconnection and every poll
// after the last ticket received (a missing field counts as 0). A reload or a return to
// the event joins again and follows the new answer's hint.

import { $, clock, dateTime } from './dom.js';
import { describeError } from './errors.js';
import { wsURL, POLL_MS } from './live.js';

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PASS_KEY = 'tb.queuePass.';
const FOLLOW_JITTER = 0.1; // at most this share of a ticket's follow_after_ms is added at random

/**
 * followDelay is how long, in ms, the page waits after receiving ticket t before it opens
 * the websocket or reads the ticket again: t.follow_after_ms (0 when absent) and up to a
 * tenth more, so fans told the same instant do not come back at once.
 */
export function followDelay(t, random = Math.random) {
  const ms = Number(t?.follow_after_ms);
  if (!(ms > 0)) return 0;
  return ms * (1 + FOLLOW_JITTER * random());
}

/** waitWords says a wait in seconds the way people read it. */
export function waitWords(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s <= 1) return '< 1 s';
  if (s < 60) return `~${s} s`;
  if (s < 3600) return `~${Math.round(s / 60)} min`;
  return `~${clock(s * 1000)}`;
}

/**
 * WaitingRoom owns #queue-area. options: onChange() after the fan's standing changed
 * (waiting, admitted, no room).
 */
export class WaitingRoom {
  constructor(api, messages, options) {
    this.api = api;
    this.msg = messages;
    this.opts = options;
    this.event = null;
    this.room = null; // the event's room while it is enabled
    this.ticket = null;
    this.ws = null;
    this.pollTimer = 0;
    this.pollRun = 0; // bumped by stopPolling: a poll answered after it schedules no next one
    this.retryTimer = 0;
    this.followTimer = 0;
    this.followAt = 0; // Date.now() before which the page neither opens the websocket nor reads the ticket
    this.tickTimer = 0;
    this.expiryTimer = 0;
    this.attempt = 0;
    this.generation = 0; // bumped by open and close: answers for an older event are dropped
    this.startAhead = 0; // the most fans ever ahead of this ticket
    this.receivedAt = 0;
    this.el = {
      area: $('queue-area'), title: $('queue-title'), lead: $('queue-lead'), position: $('queue-position'),
      ahead: $('queue-ahead'), eta: $('queue-eta'), progress: $('queue-progress'), bar: $('queue-bar'),
      status: $('queue-status'), join: $('queue-join'),
    };
    this.el.join.addEventListener('click', () => this.join());
  }

  /** waiting reports whether the fan must wait before holding seats of the open event. */
  waiting() {
    return this.room !== null && this.ticket?.status !== 'admitted';
  }

  /** pass returns the fan's valid pass for eventId, or ''. */
  pass(eventId) {
    const raw = sessionStorage.getItem(PASS_KEY + eventId);
    if (!raw) return '';
    try {
      const p = JSON.parse(raw);
      if (p.user === this.api.user && Date.parse(p.expires) > this.api.serverNow()) return p.pass;
    } catch {
      // A damaged entry is dropped below.
    }
    sessionStorage.removeItem(PASS_KEY + eventId);
    return '';
  }

  /** open looks at the event's room and, when it is enabled, queues the fan. */
  async open(event) {
    this.close();
    const gen = this.generation;
    this.event = event;
    let room;
    try {
      room = await this.api.request('GET', `/api/v1/events/${encodeURIComponent(event.id)}/waiting-room`);
    } catch (err) {
      if (err.code !== 'NOT_FOUND') this.msg.show('error', `Couldn't check the waiting room. ${describeError(err)}`, { key: 'queue' });
      return;
    }
    if (gen !== this.generation) return;
    this.room = room.enabled ? room : null;
    if (!this.room) {
      this.el.area.hidden = true;
      this.opts.onChange?.();
      return;
    }
    if (this.pass(event.id)) {
      // Admitted on an earlier page load, and the pass still runs.
      this.ticket = { status: 'admitted' };
      this.el.area.hidden = true;
      this.opts.onChange?.();
      return;
    }
    this.el.area.hidden = false;
    this.render();
    this.opts.onChange?.();
    if (this.api.signedIn) await this.join();
  }

  /** close stops following the ticket (another event, another view). */
  close() {
    this.generation++;
    this.stopFollowing();
    clearInterval(this.tickTimer);
    clearTimeout(this.expiryTimer);
    this.tickTimer = 0;
    this.room = null;
    this.ticket = null;
    this.event = null;
    this.startAhead = 0;
    this.followAt = 0;
    this.el.area.hidden = true;
  }

  authChanged() {
    if (this.event) this.open(this.event);
  }

  /** join takes a ticket (the same one again on a repeat) and follows it. */
  async join() {
    if (!this.event || !this.api.signedIn) return;
    const gen = this.generation;
    this.el.join.disabled = true;
    let t;
    try {
      t = await this.api.request('POST', `/api/v1/events/${encodeURIComponent(this.event.id)}/queue`, { auth: true });
    } catch (err) {
      this.el.join.disabled = false;
      if (gen !== this.generation) return;
      if (err.code === 'NOT_FOUND') {
        // The room closed meanwhile.
        this.open(this.event);
        return;
      }
      this.msg.show('error', `Couldn't join the queue. ${describeError(err)}`, { key: 'queue' });
      return;
    }
    this.el.join.disabled = false;
    if (gen !== this.generation) return;
    this.startAhead = 0;
    this.update(t);
    if (t.status === 'waiting') this.follow(t.id);
  }

  /**
   * follow subscribes to the ticket, polling while the websocket is unavailable; not
   * before the last ticket's follow_after_ms has passed.
   */
  follow(id) {
    this.stopFollowing();
    const gen = this.generation;
    const wait = this.followAt - Date.now();
    if (wait > 0) {
      this.followTimer = setTimeout(() => {
        this.followTimer = 0;
        if (gen === this.generation && this.ticket?.status === 'waiting') this.follow(id);
      }, wait);
      return;
    }
    let ws;
    try {
      ws = new WebSocket(wsURL(`/ws/queue/${encodeURIComponent(id)}`));
    } catch {
      this.fallBack(id, gen);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.stopPolling();
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === 'queue' && m.id === id && gen === this.generation) this.update(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (gen === this.generation && this.ticket?.status === 'waiting') this.fallBack(id, gen);
    };
  }

  fallBack(id, gen) {
    if (!this.pollTimer) this.startPolling(id, gen);
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      if (gen === this.generation && this.ticket?.status === 'waiting') this.follow(id);
    }, delay * (1 + 0.2 * Math.random()));
  }

  /**
   * startPolling reads the ticket now, then again at once after a read that waited for
   * the ticket's change (up to POLL_MS) and found it still waiting, and POLL_MS after any
   * other (one that failed, one of a ticket no longer waiting, which the server answers
   * at once), until stopPolling; never sooner than the last ticket's follow_after_ms.
   */
  startPolling(id, gen) {
    const run = this.pollRun;
    const next = (after) => {
      this.pollTimer = setTimeout(async () => {
        const waited = await this.poll(id, gen);
        if (run === this.pollRun && gen === this.generation) next(waited ? 0 : POLL_MS);
      }, Math.max(after, this.followAt - Date.now()));
    };
    next(0);
  }

  /**
   * poll reads the ticket, waiting up to POLL_MS for its change; true when the read
   * waited at least half that and the ticket still waits.
   */
  async poll(id, gen) {
    const sent = Date.now();
    try {
      const t = await this.api.request('GET', `/api/v1/queue/${encodeURIComponent(id)}?wait_ms=${POLL_MS}`, { auth: true });
      if (gen === this.generation) this.update(t);
      return t.status === 'waiting' && Date.now() - sent >= POLL_MS / 2;
    } catch {
      // The websocket or the next poll will tell.
      return false;
    }
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = 0;
    this.pollRun++;
  }

  stopFollowing() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.followTimer);
    this.followTimer = 0;
    this.stopPolling();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
  }

  /** update takes a ticket from any source and shows it. */
  update(t) {
    const before = this.ticket?.status;
    this.ticket = t;
    this.receivedAt = Date.now();
    this.followAt = this.receivedAt + followDelay(t);
    if (t.position !== null && t.status === 'waiting') this.startAhead = Math.max(this.startAhead, t.ahead);
    if (t.status === 'admitted') {
      sessionStorage.setItem(PASS_KEY + t.event_id, JSON.stringify({ pass: t.pass, expires: t.pass_expires_at, user: this.api.user }));
      this.stopFollowing();
      clearInterval(this.tickTimer);
      this.tickTimer = 0;
      this.el.area.hidden = true;
      clearTimeout(this.expiryTimer);
      this.expiryTimer = setTimeout(() => this.expired(), Math.max(0, Date.parse(t.pass_expires_at) - this.api.serverNow()));
      if (before !== 'admitted') {
        this.msg.show('success', `It's your turn! Hold your seats before ${dateTime(t.pass_expires_at)}.`, { key: 'queue' });
        this.opts.onChange?.();
      }
      return;
    }
    if (t.status === 'expired') {
      this.expired();
      return;
    }
    this.el.area.hidden = false;
    if (!this.tickTimer) this.tickTimer = setInterval(() => this.render(), 1000);
    this.render();
    if (before !== t.status) this.opts.onChange?.();
  }

  /** expired shows that the fan's turn has passed, with a way back into the queue. */
  expired() {
    if (!this.event) return;
    sessionStorage.removeItem(PASS_KEY + this.event.id);
    this.stopFollowing();
    this.ticket = { status: 'expired' };
    this.el.area.hidden = false;
    this.render();
    this.opts.onChange?.();
  }

  render() {
    const t = this.ticket;
    const el = this.el;
    const name = this.event?.name || 'this event';
    el.join.hidden = true;
    el.area.dataset.status = t?.status || 'none';
    if (!this.api.signedIn) {
      el.title.textContent = 'This sale has a waiting room';
      el.lead.textContent = `Sign in (top right) to join the queue for ${name}. Fans are let in a few at a time, in order, as fast as the sale keeps up.`;
      this.numbers('—', '—', '—', 0);
      el.status.textContent = '';
      return;
    }
    if (!t) {
      el.title.textContent = 'Joining the queue…';
      el.lead.textContent = `Fans are let in to ${name} a few at a time, in order.`;
      this.numbers('—', '—', '—', 0);
      return;
    }
    if (t.status === 'expired') {
      el.title.textContent = 'Your turn has passed';
      el.lead.textContent = 'Your pass expired before you held seats. Join again to get a new place at the back of the queue.';
      this.numbers('—', '—', '—', 0);
      el.status.textContent = '';
      el.join.textContent = 'Join again';
      el.join.hidden = false;
      return;
    }
    if (t.status === 'sold_out') {
      // The ticket keeps its place and the page keeps following it: seats that return
      // (a hold released or expired) let the room admit again, in position order.
      el.title.textContent = 'Sold out';
      el.lead.textContent = `Every seat of ${name} is sold, held or promised to a fan let in before you. Keep this page open: if seats come back, fans are let in again in queue order, and you keep your place.`;
      this.numbers(t.position === null ? '—' : `#${t.position.toLocaleString()}`, '—', '—', 0);
      el.status.textContent = 'No seats left for now.';
      return;
    }
    const left = Math.max(0, t.eta_seconds - (Date.now() - this.receivedAt) / 1000);
    el.title.textContent = "You're in the queue";
    if (t.position === null) {
      const opens = this.room?.opens_at;
      el.lead.textContent = opens
        ? `The queue opens ${dateTime(opens)}; everyone who joined before then gets a place drawn at random.`
        : 'Your place is being drawn.';
      this.numbers('drawn at opening', t.ahead.toLocaleString(), waitWords(left), 0);
      el.status.textContent = 'Waiting for the opening.';
      return;
    }
    const ahead = t.ahead;
    // The bar fills as the fans ahead are let in; it is full only once admitted.
    const done = (100 * (this.startAhead - ahead)) / (this.startAhead + 1);
    el.lead.textContent = `Stay on this page: the seat map opens for you when it's your turn at ${name}.`;
    this.numbers(`#${t.position.toLocaleString()}`, ahead.toLocaleString(), waitWords(left), done);
    el.status.textContent = ahead === 0 ? "You're next." : `${ahead.toLocaleString()} ${ahead === 1 ? 'fan' : 'fans'} ahead of you.`;
  }

  numbers(position, ahead, eta, percent) {
    const el = this.el;
    el.position.textContent = position;
    el.ahead.textContent = ahead;
    el.eta.textContent = eta;
    const p = Math.max(0, Math.min(100, Math.round(percent)));
    el.bar.style.width = `${p}%`;
    el.progress.setAttribute('aria-valuenow', String(p));
  }
}
