// The hold panel: the fan's current hold with a countdown to expires_at, and the
// extend, pay (with a choice of test card) and release actions. The hold id is kept in
// sessionStorage so a reload finds it again.

import { ApiError, newIdempotencyKey } from './api.js';
import { $, money, clock, prefersReducedMotion } from './dom.js';
import { describeError, list } from './errors.js';

const HOLD_KEY = 'tb.hold';

/** Moments (seconds left) at which the countdown is announced to screen readers. */
const ANNOUNCE_AT = [300, 120, 60, 30, 10];

/**
 * HoldPanel owns #hold-panel. options: onChange(), onOrder(order), onReleased(hold), maxTickets(),
 * sectionName(eventId, sectionId), price(hold) → {cents, currency}, refetch().
 */
export class HoldPanel {
  constructor(api, messages, options) {
    this.api = api;
    this.msg = messages;
    this.opts = options;
    this.current = null;
    this.timer = 0;
    this.refTotal = 1;
    this.announced = new Set();
    this.expiryChecks = 0;
    this.el = {
      panel: $('hold-panel'), status: $('hold-status'), seats: $('hold-seats'), note: $('hold-note'),
      text: $('countdown-text'), bar: $('countdown-bar'), sr: $('countdown-sr'), countdown: $('countdown'),
      confirm: $('confirm-btn'), extend: $('extend-btn'), release: $('release-btn'),
    };
    this.el.confirm.addEventListener('click', () => this.confirm());
    this.el.extend.addEventListener('click', () => this.extend());
    this.el.release.addEventListener('click', () => this.release());
  }

  active() {
    return this.current?.status === 'held';
  }

  /** set shows a hold (from POST holds, extend or GET hold). */
  set(hold, { focus = false } = {}) {
    this.current = hold;
    sessionStorage.setItem(HOLD_KEY, hold.id);
    this.refTotal = Math.max(1000, new Date(hold.expires_at).getTime() - this.api.serverNow());
    this.announced.clear();
    this.expiryChecks = 0;
    this.el.note.hidden = true;
    this.render();
    this.startTimer();
    this.el.panel.hidden = false;
    if (focus) {
      this.el.panel.focus({ preventScroll: true });
      this.el.panel.scrollIntoView({ block: 'nearest', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    }
    this.opts.onChange?.();
  }

  clear() {
    this.current = null;
    sessionStorage.removeItem(HOLD_KEY);
    clearInterval(this.timer);
    this.timer = 0;
    this.el.panel.hidden = true;
    this.opts.onChange?.();
  }

  /** restore finds the hold of an earlier page load, if it is still held. */
  async restore() {
    const id = sessionStorage.getItem(HOLD_KEY);
    if (!id || this.current || !this.api.signedIn) return;
    try {
      const hold = await this.api.request('GET', `/api/v1/holds/${encodeURIComponent(id)}`, { auth: true });
      if (hold.status === 'held') this.set(hold);
      else sessionStorage.removeItem(HOLD_KEY);
    } catch {
      sessionStorage.removeItem(HOLD_KEY);
    }
  }

  authChanged() {
    if (!this.api.signedIn) {
      if (this.current) this.clear();
    } else {
      this.restore();
    }
  }

  render() {
    const hold = this.current;
    if (!hold) return;
    const name = this.opts.sectionName(hold.event_id, hold.section_id);
    this.el.seats.textContent = hold.seats?.length
      ? `${name}: ${list(hold.seats)}`
      : `${name}: ${hold.quantity} ${hold.quantity === 1 ? 'ticket' : 'tickets'}`;
    this.el.status.textContent = hold.status === 'held' ? 'Held' : hold.status;
    const p = this.opts.price?.(hold);
    this.el.confirm.textContent = p ? `Pay ${money(p.cents, p.currency)}` : 'Pay';
    this.tick();
  }

  startTimer() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 250);
  }

  tick() {
    const hold = this.current;
    if (!hold) return;
    const left = new Date(hold.expires_at).getTime() - this.api.serverNow();
    this.el.text.textContent = clock(left);
    this.el.bar.style.width = `${Math.max(0, Math.min(100, (100 * left) / this.refTotal))}%`;
    this.el.countdown.dataset.urgent = String(left < 60000);
    const s = Math.ceil(left / 1000);
    for (const at of ANNOUNCE_AT) {
      if (s <= at && s > at - 2 && !this.announced.has(at)) {
        this.announced.add(at);
        this.el.sr.textContent = `${clock(left)} left to pay for your seats.`;
      }
    }
    if (left <= 0) this.expired();
  }

  /** expired asks the server once the countdown ran out; the hold ends when it says so. */
  async expired() {
    if (this.checking) return;
    this.checking = true;
    try {
      const hold = await this.api.request('GET', `/api/v1/holds/${encodeURIComponent(this.current.id)}`, { auth: true });
      if (hold.status === 'held' && this.expiryChecks++ < 10) {
        this.current = { ...this.current, ...hold, expires_at: this.current.expires_at };
        await new Promise((r) => setTimeout(r, 1000));
        return;
      }
      this.msg.show('warning', describeError({ code: 'HOLD_EXPIRED' }), { key: 'hold' });
      this.clear();
      this.opts.refetch?.();
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'HOLD_EXPIRED' || err.code === 'NOT_FOUND')) {
        this.msg.show('warning', describeError({ code: 'HOLD_EXPIRED' }), { key: 'hold' });
        this.clear();
        this.opts.refetch?.();
      }
    } finally {
      this.checking = false;
    }
  }

  setBusy(busy) {
    for (const b of [this.el.confirm, this.el.extend, this.el.release]) {
      b.disabled = busy;
      b.setAttribute('aria-busy', String(busy));
    }
  }

  /** ended handles errors that mean the hold is over. Returns true when it was. */
  ended(err) {
    if (!(err instanceof ApiError)) return false;
    if (err.code === 'HOLD_EXPIRED' || err.code === 'HOLD_NOT_ACTIVE' || err.code === 'NOT_FOUND') {
      this.clear();
      this.opts.refetch?.();
      return true;
    }
    return false;
  }

  async confirm() {
    const hold = this.current;
    if (!hold) return;
    const card = document.querySelector('input[name="card"]:checked')?.value || 'tok_ok';
    this.setBusy(true);
    this.el.note.hidden = true;
    try {
      const order = await this.api.request('POST', `/api/v1/holds/${encodeURIComponent(hold.id)}/confirm`, {
        body: { payment_token: card }, auth: true, idempotencyKey: newIdempotencyKey(),
        onRetry: (s) => this.msg.show('info', describeError({ code: 'UNAVAILABLE', retryAfter: s }), { key: 'retry' }),
      });
      this.msg.clear('retry');
      this.msg.clear('hold');
      this.clear();
      this.msg.show('success', `Payment approved. Order ${order.id} is confirmed.`, { key: 'order' });
      this.opts.onOrder?.(order);
    } catch (err) {
      this.msg.clear('retry');
      this.msg.show('error', describeError(err, { maxTickets: this.opts.maxTickets?.() }), { key: 'hold' });
      if (err instanceof ApiError && err.code === 'PAYMENT_DECLINED') {
        this.el.note.textContent = 'Card declined. Your seats are still held — choose another card and pay again.';
        this.el.note.hidden = false;
        this.el.status.textContent = 'Held';
      } else {
        this.ended(err);
      }
    } finally {
      this.setBusy(false);
    }
  }

  async extend() {
    const hold = this.current;
    if (!hold) return;
    this.setBusy(true);
    try {
      const next = await this.api.request('POST', `/api/v1/holds/${encodeURIComponent(hold.id)}/extend`, { auth: true });
      this.set(next);
      this.msg.show('success', `More time: your hold now ends in ${clock(new Date(next.expires_at).getTime() - this.api.serverNow())}.`, { key: 'hold' });
    } catch (err) {
      this.msg.show('error', describeError(err), { key: 'hold' });
      this.ended(err);
    } finally {
      this.setBusy(false);
    }
  }

  async release() {
    const hold = this.current;
    if (!hold) return;
    this.setBusy(true);
    try {
      await this.api.request('DELETE', `/api/v1/holds/${encodeURIComponent(hold.id)}`, { auth: true });
      this.clear();
      this.opts.onReleased?.(hold);
      this.msg.show('info', 'Released. Those seats are back on sale.', { key: 'hold' });
      this.opts.refetch?.();
    } catch (err) {
      this.msg.show('error', describeError(err), { key: 'hold' });
      this.ended(err);
    } finally {
      this.setBusy(false);
    }
  }
}
