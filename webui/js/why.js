// "Why not this seat?": the attempt log of one seat (docs/api.md),
// offered on a held or sold seat. Each line is one attempt in the order the section
// decided them: who (you, another fan), what, and the reason in plain words.

import { ApiError } from './api.js';
import { $, h, dateTime } from './dom.js';
import { describeError } from './errors.js';

/** WhyPanel owns #why-btn and #why-panel. */
export class WhyPanel {
  constructor(api) {
    this.api = api;
    this.seat = null; // {eventId, sectionId, seatId} the button offers
    this.request = 0;
    this.el = { btn: $('why-btn'), panel: $('why-panel'), title: $('why-title'), list: $('why-list'),
      status: $('why-status'), close: $('why-close') };
    this.el.btn.addEventListener('click', () => this.open());
    this.el.close.addEventListener('click', () => this.hide());
  }

  /** offer shows the button for a seat that is held or sold by someone else; hides it otherwise. */
  offer(eventId, sectionId, seat, mine) {
    const show = !!seat && !mine && (seat.status === 'held' || seat.status === 'sold');
    this.seat = show ? { eventId, sectionId, seatId: seat.id } : null;
    this.el.btn.hidden = !show;
    if (show) this.el.btn.textContent = `Why not ${seat.id}?`;
  }

  hide() {
    this.el.panel.hidden = true;
    this.el.list.replaceChildren();
  }

  async open() {
    const s = this.seat;
    if (!s) return;
    const reqNo = ++this.request;
    this.el.panel.hidden = false;
    this.el.title.textContent = `Why not ${s.seatId}?`;
    this.el.list.replaceChildren();
    this.el.status.textContent = 'Loading the seat\u2019s history…';
    delete this.el.panel.dataset.loaded;
    if (!this.api.signedIn) {
      this.el.status.textContent = 'Sign in to see who tried this seat, and when.';
      return;
    }
    let res;
    try {
      res = await this.api.request('GET', `/api/v1/events/${encodeURIComponent(s.eventId)}/sections/` +
        `${encodeURIComponent(s.sectionId)}/seats/${encodeURIComponent(s.seatId)}/history`, { auth: true });
    } catch (err) {
      if (reqNo !== this.request) return;
      this.el.status.textContent = err instanceof ApiError && err.code === 'NOT_RECORDED'
        ? 'This server keeps no record of attempts, so it cannot say.'
        : `Couldn't load the seat's history. ${describeError(err)}`;
      return;
    }
    if (reqNo !== this.request) return;
    const attempts = res.attempts || [];
    this.el.status.textContent = attempts.length === 0
      ? 'No attempt on this seat is on record (it may be older than the record keeps).'
      : `${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}, in the order the section decided them:`;
    this.el.list.replaceChildren(...attempts.map((a) => h('li',
      { class: `why-item why-${a.outcome}`, dataset: { seq: a.seq, outcome: a.outcome, user: a.user } },
      h('span', { class: 'why-seq' }, `#${a.seq}`), ' ',
      h('strong', {}, a.user === 'you' ? 'You' : a.user), ` ${a.action} \u2014 `,
      a.outcome === 'granted' ? 'granted' : `refused (${a.code})`, ': ',
      h('span', { class: 'why-reason' }, a.reason), ' ',
      h('time', { class: 'muted', datetime: a.at }, dateTime(a.at)))));
    this.el.panel.dataset.loaded = String(attempts.length);
  }
}
