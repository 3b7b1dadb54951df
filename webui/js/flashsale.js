// The flash-sale panel (admin): start a crowd of simulated fans on one section
// (POST /api/v1/admin/flash-sale) and follow its progress
// (GET /api/v1/admin/flash-sale/{id}) until it is done.

import { $, compact } from './dom.js';
import { describeError } from './errors.js';

const POLL_MS = 1000;

/** FlashSale owns the flash-sale form. events() returns the events to pick from. */
export class FlashSale {
  constructor(api, messages, events) {
    this.api = api;
    this.msg = messages;
    this.events = events;
    this.run = null;
    this.timer = 0;
    this.el = {
      form: $('flash-form'), token: $('admin-token'), event: $('flash-event'), section: $('flash-section'),
      fans: $('flash-fans'), seconds: $('flash-seconds'), start: $('flash-start'), progress: $('flash-progress'),
      state: $('flash-state'), elapsed: $('flash-elapsed'), bar: $('flash-bar'),
      attempts: $('flash-attempts'), holds: $('flash-holds'), orders: $('flash-orders'), refusals: $('flash-refusals'),
    };
    this.el.token.value = api.adminToken;
    this.el.token.addEventListener('change', () => { api.adminToken = this.el.token.value.trim(); });
    this.el.event.addEventListener('change', () => this.fillSections());
    this.el.form.addEventListener('submit', (e) => { e.preventDefault(); this.start(); });
  }

  async show() {
    const events = await this.events();
    const keep = this.el.event.value;
    this.el.event.replaceChildren(...events.map((e) => new Option(e.name, e.id)));
    if (keep && events.some((e) => e.id === keep)) this.el.event.value = keep;
    this.fillSections();
    if (this.run?.status === 'running') this.poll();
  }

  hide() {
    clearTimeout(this.timer);
  }

  async fillSections() {
    const ev = (await this.events()).find((e) => e.id === this.el.event.value);
    const keep = this.el.section.value;
    const sections = ev?.sections || [];
    this.el.section.replaceChildren(...sections.map((s) => new Option(`${s.name} (${s.id})`, s.id)));
    const preferred = sections.find((s) => s.id === keep) || sections.find((s) => s.id === 'arena');
    if (preferred) this.el.section.value = preferred.id;
  }

  async start() {
    this.api.adminToken = this.el.token.value.trim();
    if (!this.api.adminToken) {
      this.msg.show('warning', 'Paste an admin token first (go run ./cmd/ticketblitz token --user root --role admin).', { key: 'flash' });
      this.el.token.focus();
      return;
    }
    const body = {
      event_id: this.el.event.value,
      section_id: this.el.section.value,
      fans: Number(this.el.fans.value),
      seconds: Number(this.el.seconds.value),
    };
    this.el.start.disabled = true;
    try {
      const run = await this.api.request('POST', '/api/v1/admin/flash-sale', { body, admin: true });
      this.run = { ...run, seconds: body.seconds, startedAt: Date.now() };
      this.msg.show('success', `Flash sale started: ${body.fans} fans on ${body.section_id} for ${body.seconds} s.`, { key: 'flash' });
      this.render(run);
      this.el.progress.hidden = false;
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    } catch (err) {
      const text = err.status === 404 && err.message === 'no such route'
        ? 'This server has no flash-sale control.' : describeError(err);
      this.msg.show('error', `Couldn't start the flash sale. ${text}`, { key: 'flash' });
      this.el.start.disabled = false;
    }
  }

  async poll() {
    clearTimeout(this.timer);
    if (!this.run) return;
    try {
      const run = await this.api.request('GET', `/api/v1/admin/flash-sale/${encodeURIComponent(this.run.id)}`, { admin: true });
      this.render(run);
      if (run.status === 'done') {
        this.el.start.disabled = false;
        this.msg.show('info', `Flash sale finished: ${run.orders ?? 0} orders from ${run.attempts ?? 0} attempts.`, { key: 'flash' });
        this.run.status = 'done';
        return;
      }
    } catch (err) {
      this.msg.show('error', `Flash sale progress unavailable. ${describeError(err)}`, { key: 'flash' });
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  render(run) {
    const done = run.status === 'done';
    this.el.state.textContent = done ? 'Done' : 'Running';
    this.el.progress.dataset.status = run.status;
    const elapsed = (Date.now() - this.run.startedAt) / 1000;
    const pct = done ? 100 : Math.min(99, (100 * elapsed) / Math.max(1, this.run.seconds));
    this.el.bar.style.width = `${pct}%`;
    this.el.elapsed.textContent = done ? `${this.run.seconds} s` : `${Math.floor(elapsed)} of ${this.run.seconds} s`;
    this.el.attempts.textContent = compact(run.attempts ?? 0);
    this.el.holds.textContent = compact(run.holds ?? 0);
    this.el.orders.textContent = compact(run.orders ?? 0);
    this.el.refusals.textContent = compact(run.refusals ?? 0);
  }
}
