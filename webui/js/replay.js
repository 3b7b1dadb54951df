// The replay panel (admin): a section's sale played back from its attempt log
// (GET /api/v1/admin/sections/{event_id}/{section_id}/record), step by step. A step is
// one recorded decision; the scrubber picks one, play runs them at the pace they were
// decided (1×) or up to 100× faster. It shows the seat map as of the step, the mailbox as
// it was at the step's decision (the commands received by then and decided after it,
// oldest first, with how long each had waited), and the batches around it. Attempts
// recorded without their arrival (received_at null) show, instead of the mailbox, the
// commands the same batch decided after the step.

import { $, h, compact } from './dom.js';
import { describeError } from './errors.js';
import { SeatMap } from './seatmap.js';

const PAGE = 2000;
const MAX_ATTEMPTS = 100000;
const SPEEDS = [1, 2, 5, 10, 25, 50, 100];
const IDLE_MS = 1000; // a pause between decisions longer than this plays as this long
const PENDING_SHOWN = 20;
const BATCHES_AROUND = 3;

/** seatEffect is the status a granted attempt leaves its seats in; null when none. */
function seatEffect(a) {
  if (a.outcome !== 'granted') return null;
  switch (a.action) {
    case 'hold': return 'held';
    case 'confirm': return 'sold';
    case 'release': case 'expire': case 'cancel': return 'available';
  }
  return null;
}

/** micros reads an RFC 3339 time to the microsecond (Date.parse stops at the millisecond). */
export function micros(iso) {
  const frac = /\.(\d+)/.exec(iso);
  const extra = frac ? Number((frac[1] + '000000').slice(3, 6)) : 0;
  return Date.parse(iso) * 1000 + extra;
}

/**
 * mailboxAt is the mailbox as it was at step n (n decisions made), from the attempts'
 * arrival times (recv, µs; null when unknown) and decision times (at, µs): the commands
 * received at or before the step's decision (the first one's at step 0) and decided
 * after it, oldest first, each with its index and its age then (µs). It returns null
 * when the record does not know the arrivals around the step.
 */
export function mailboxAt(recv, at, n) {
  const total = at.length;
  if (total === 0) return null;
  const anchor = n > 0 ? n - 1 : 0;
  if (recv[anchor] === null && (n >= total || recv[n] === null)) return null;
  const t = at[anchor];
  const out = [];
  for (let i = n; i < total; i++) {
    if (recv[i] !== null && recv[i] <= t) out.push({ index: i, age: t - recv[i] });
  }
  out.sort((x, y) => y.age - x.age || x.index - y.index);
  return out;
}

/** waited formats a wait in µs. */
function waited(us) {
  if (us < 1000) return `${us} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

function batchLabel(b) {
  return b.recordOnly ? `refusals after v${b.version}` : `v${b.version}`;
}

function describe(a) {
  const who = a.user_id || '—';
  const seats = a.seats.length ? ` ${a.seats.join(', ')}` : '';
  const outcome = a.outcome === 'granted'
    ? 'granted'
    : `refused ${a.code}${a.cause_seq ? ` (because of #${a.cause_seq})` : ''}`;
  return `#${a.seq} ${a.action} by ${who}${seats}: ${outcome}`;
}

/** ReplayPanel owns #replay-panel; events() returns the events to pick from. */
export class ReplayPanel {
  constructor(api, messages, events) {
    this.api = api;
    this.msg = messages;
    this.events = events;
    this.attempts = [];
    this.batches = []; // {version, recordOnly, from, to (indexes into attempts)}
    this.step = 0; // attempts decided so far: 0 is before the first
    this.playing = false;
    this.frame = 0;
    this.build($('replay-panel'));
    this.map = new SeatMap(this.el.canvas, this.el.scroll, this.el.tooltip, {
      describe: (seat) => `${seat.id}: ${seat.status}`,
    });
  }

  build(panel) {
    const speed = h('select', { id: 'replay-speed' }, SPEEDS.map((s) => new Option(`${s}×`, String(s))));
    this.el = {
      panel,
      event: h('select', { id: 'replay-event' }),
      section: h('select', { id: 'replay-section' }),
      load: h('button', { type: 'submit', class: 'btn btn-primary', id: 'replay-load' }, 'Load the record'),
      status: h('p', { id: 'replay-status', class: 'hint', role: 'status', 'aria-live': 'polite' }),
      scrub: h('input', { id: 'replay-scrub', type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'Step' }),
      play: h('button', { type: 'button', class: 'btn', id: 'replay-play', disabled: true }, 'Play'),
      back: h('button', { type: 'button', class: 'btn btn-icon', id: 'replay-back', 'aria-label': 'Step back', disabled: true }, '‹'),
      next: h('button', { type: 'button', class: 'btn btn-icon', id: 'replay-next', 'aria-label': 'Step forward', disabled: true }, '›'),
      speed,
      position: h('span', { id: 'replay-position', class: 'muted' }),
      current: h('p', { id: 'replay-current', class: 'replay-current' }),
      counts: h('p', { id: 'replay-counts', class: 'muted' }),
      canvas: h('canvas', { id: 'replay-map', class: 'seatmap', tabindex: '0', role: 'img', 'aria-label': 'Seat map as of the step' }),
      tooltip: h('div', { class: 'tooltip', role: 'presentation', hidden: true }),
      pending: h('ol', { id: 'replay-mailbox', class: 'stream', 'aria-label': 'The mailbox at this step' }),
      pendingTitle: h('h3', { class: 'subhead', id: 'replay-mailbox-title' }),
      pendingHint: h('p', { class: 'hint', id: 'replay-mailbox-hint' }),
      batchList: h('ol', { id: 'replay-batches', class: 'stream', 'aria-label': 'Batches' }),
    };
    const e = this.el;
    e.scroll = h('div', { class: 'map-scroll replay-map' }, e.canvas, e.tooltip);
    const form = h('form', { class: 'flash-form replay-form' },
      h('div', { class: 'field' }, h('label', { for: 'replay-event' }, 'Event'), e.event),
      h('div', { class: 'field' }, h('label', { for: 'replay-section' }, 'Section'), e.section),
      e.load);
    panel.replaceChildren(
      h('h2', { id: 'replay-title', class: 'panel-title' }, 'Replay a section'),
      h('p', { class: 'muted' }, 'Play a section\u2019s sale back from its attempt log, one decision at a time. ' +
        'Uses the admin token of the flash-sale form.'),
      form, e.status,
      h('div', { class: 'replay-controls' }, e.back, e.play, e.next,
        h('label', { for: 'replay-speed', class: 'visually-hidden' }, 'Speed'), e.speed, e.position),
      e.scrub, e.current, e.counts,
      h('div', { class: 'replay-body' },
        h('div', {}, e.scroll),
        h('div', {},
          e.pendingTitle,
          e.pendingHint,
          e.pending,
          h('h3', { class: 'subhead' }, 'Batches'),
          e.batchList)));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); this.load(); });
    e.event.addEventListener('change', () => this.fillSections());
    e.scrub.addEventListener('input', () => { this.pause(); this.seek(Number(e.scrub.value)); });
    e.play.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    e.back.addEventListener('click', () => { this.pause(); this.seek(this.step - 1); });
    e.next.addEventListener('click', () => { this.pause(); this.seek(this.step + 1); });
  }

  async show() {
    const events = await this.events();
    const keep = this.el.event.value;
    this.el.event.replaceChildren(...events.map((ev) => new Option(ev.name, ev.id)));
    if (keep && events.some((ev) => ev.id === keep)) this.el.event.value = keep;
    this.fillSections();
  }

  hide() {
    this.pause();
  }

  async fillSections() {
    const ev = (await this.events()).find((x) => x.id === this.el.event.value);
    const keep = this.el.section.value;
    const sections = ev?.sections || [];
    this.el.section.replaceChildren(...sections.map((s) => new Option(`${s.name} (${s.id})`, s.id)));
    if (sections.some((s) => s.id === keep)) this.el.section.value = keep;
  }

  async load() {
    this.pause();
    const eventId = this.el.event.value;
    const sectionId = this.el.section.value;
    if (!this.api.adminToken) {
      this.el.status.textContent = 'Paste an admin token in the flash-sale form first.';
      return;
    }
    delete this.el.panel.dataset.loaded;
    this.el.status.textContent = 'Loading the record…';
    const base = `/api/v1/admin/sections/${encodeURIComponent(eventId)}/${encodeURIComponent(sectionId)}/record`;
    let map;
    const attempts = [];
    let page;
    try {
      map = await this.api.request('GET', `/api/v1/events/${encodeURIComponent(eventId)}/sections/${encodeURIComponent(sectionId)}/seats`);
      let after = 0;
      do {
        page = await this.api.request('GET', `${base}?after=${after}&limit=${PAGE}`, { admin: true });
        attempts.push(...page.attempts);
        after = page.next_after;
      } while (after !== null && after !== undefined && attempts.length < MAX_ATTEMPTS);
    } catch (err) {
      this.el.status.textContent = err.code === 'NOT_RECORDED'
        ? 'This server keeps no attempt log, so there is nothing to replay.'
        : `Couldn't load the record. ${describeError(err)}`;
      return;
    }
    this.attempts = attempts;
    this.batches = [];
    attempts.forEach((a, i) => {
      const last = this.batches[this.batches.length - 1];
      if (last && last.version === a.batch.version && last.recordOnly === a.batch.record_only) last.to = i;
      else this.batches.push({ version: a.batch.version, recordOnly: a.batch.record_only, from: i, to: i });
    });
    this.recv = attempts.map((a) => (a.received_at ? micros(a.received_at) : null));
    this.at = attempts.map((a) => micros(a.at));
    this.batchOf = new Array(attempts.length);
    this.batches.forEach((b, n) => { for (let i = b.from; i <= b.to; i++) this.batchOf[i] = n; });
    this.reserved = Array.isArray(map.seats);
    this.layout = this.reserved ? map.seats.map((s) => ({ ...s, status: 'available' })) : [];
    this.map.setSeats(this.layout);
    this.el.scroll.hidden = !this.reserved;
    const notes = [`${compact(attempts.length)} decisions in ${compact(this.batches.length)} batches.`];
    if (page.first_seq > 1) notes.push(`The record starts at #${page.first_seq}: older attempts are past retention, so the map starts from an empty section and may differ.`);
    if (attempts.length >= MAX_ATTEMPTS) notes.push(`Only the first ${compact(MAX_ATTEMPTS)} are loaded.`);
    if (!this.reserved) notes.push('General admission: the replay lists the decisions; there is no seat map to draw.');
    this.el.status.textContent = notes.join(' ');
    this.el.scrub.max = String(attempts.length);
    for (const b of [this.el.play, this.el.back, this.el.next]) b.disabled = attempts.length === 0;
    this.step = -1;
    this.seek(0);
    this.el.panel.dataset.loaded = String(attempts.length);
  }

  /** seek shows the section after the first n decisions. */
  seek(n) {
    n = Math.max(0, Math.min(this.attempts.length, n));
    if (n === this.step) return;
    const statuses = new Map();
    let from = this.step;
    if (n < this.step || this.step < 0) {
      for (const s of this.layout) statuses.set(s.id, 'available');
      from = 0;
    }
    for (let i = from; i < n; i++) {
      const a = this.attempts[i];
      const st = seatEffect(a);
      if (st) for (const id of a.seats) statuses.set(id, st);
    }
    this.map.setStatuses([...statuses].map(([id, status]) => ({ id, status })));
    this.step = n;
    this.render();
  }

  play() {
    if (this.attempts.length === 0) return;
    if (this.step >= this.attempts.length) this.seek(0);
    this.playing = true;
    this.el.play.textContent = 'Pause';
    this.el.panel.dataset.playing = 'true';
    let last = performance.now();
    // clock is the replay's time in ms since the first decision's.
    const t0 = Date.parse(this.attempts[0].at);
    let clock = this.step > 0 ? this.elapsed(this.step - 1, t0) : 0;
    const tick = (now) => {
      if (!this.playing) return;
      clock += (now - last) * Number(this.el.speed.value);
      last = now;
      let n = this.step;
      while (n < this.attempts.length && this.elapsed(n, t0) <= clock) n++;
      // An idle pause plays as IDLE_MS at most.
      if (n < this.attempts.length && this.elapsed(n, t0) - clock > IDLE_MS) clock = this.elapsed(n, t0) - IDLE_MS;
      this.seek(n);
      if (n >= this.attempts.length) {
        this.pause();
        return;
      }
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  elapsed(i, t0) {
    return Date.parse(this.attempts[i].at) - t0;
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el.play.textContent = 'Play';
    delete this.el.panel.dataset.playing;
  }

  render() {
    const e = this.el;
    const n = this.step;
    const total = this.attempts.length;
    e.scrub.value = String(n);
    e.position.textContent = `step ${compact(n)} of ${compact(total)}`;
    e.panel.dataset.step = String(n);
    const a = n > 0 ? this.attempts[n - 1] : null;
    const wait = a && this.recv[n - 1] !== null ? ` · waited ${waited(this.at[n - 1] - this.recv[n - 1])} in the mailbox` : '';
    e.current.textContent = a
      ? `${describe(a)} · ${a.at}${wait} · batch ${batchLabel(this.batches[this.batchOf[n - 1]])}`
      : 'Before the first decision: every seat available.';

    const count = { available: 0, held: 0, sold: 0 };
    const held = [];
    const sold = [];
    for (const s of this.map.seats()) {
      count[s.status] = (count[s.status] || 0) + 1;
      if (s.status === 'held') held.push(s.id);
      if (s.status === 'sold') sold.push(s.id);
    }
    e.counts.textContent = this.reserved
      ? `${compact(count.available)} available · ${compact(count.held)} held · ${compact(count.sold)} sold`
      : '';
    e.counts.dataset.held = held.sort().join(',');
    e.counts.dataset.sold = sold.sort().join(',');

    // The batch of the next decision.
    const cur = n < total ? this.batchOf[n] : this.batches.length;
    const mailbox = mailboxAt(this.recv, this.at, n);
    if (mailbox) this.renderMailbox(mailbox, n);
    else this.renderBatchRest(cur, n);

    const from = Math.max(0, cur - BATCHES_AROUND);
    const to = Math.min(this.batches.length - 1, cur + BATCHES_AROUND);
    const items = [];
    for (let k = from; k <= to; k++) {
      const b = this.batches[k];
      let granted = 0;
      for (let i = b.from; i <= b.to; i++) if (this.attempts[i].outcome === 'granted') granted++;
      const size = b.to - b.from + 1;
      const state = b.to < n ? 'written' : b.from >= n ? 'to come' : 'deciding';
      items.push(h('li', { class: `stream-item${k === cur ? ' replay-batch-current' : ''}`, dataset: { state } },
        h('span', { class: 'topic' }, batchLabel(b)),
        h('span', {}, `${size} decisions (#${this.attempts[b.from].seq}–#${this.attempts[b.to].seq}): ` +
          `${granted} granted, ${size - granted} refused · ${state}`)));
    }
    e.batchList.replaceChildren(...items);
  }

  /** renderMailbox lists the mailbox as it was at step n. */
  renderMailbox(mailbox, n) {
    const e = this.el;
    e.pendingTitle.textContent = 'In the mailbox';
    e.pendingHint.textContent = n > 0
      ? 'The commands received by the time of this step\u2019s decision and decided after it, oldest first, with how long each had waited.'
      : 'The commands received by the time of the first decision, oldest first, with how long each had waited.';
    const shown = mailbox.slice(0, PENDING_SHOWN);
    const more = mailbox.length - shown.length;
    e.pending.replaceChildren(
      ...shown.map(({ index, age }) => {
        const p = this.attempts[index];
        return h('li', { class: 'stream-item', dataset: { seq: p.seq, age: age } }, h('span', {}, `${describe(p)} · waiting ${waited(age)}`));
      }),
      more > 0 ? h('li', { class: 'stream-item muted' }, h('span', {}, `and ${compact(more)} more`)) : null,
      mailbox.length === 0 ? h('li', { class: 'stream-item muted' }, h('span', {}, 'Empty: no command was waiting.')) : null);
    e.pending.dataset.mode = 'arrivals';
    e.pending.dataset.count = String(shown.length);
    e.pending.dataset.total = String(mailbox.length);
  }

  /** renderBatchRest lists what the batch of the next decision decides from step n on. */
  renderBatchRest(cur, n) {
    const e = this.el;
    e.pendingTitle.textContent = 'Still to decide in this batch';
    e.pendingHint.textContent = 'The log kept when these commands were decided, not when they arrived: ' +
      'these are the commands its batch decided after this step.';
    const pending = [];
    let more = 0;
    if (cur < this.batches.length) {
      const b = this.batches[cur];
      for (let i = n; i <= b.to && pending.length < PENDING_SHOWN; i++) pending.push(this.attempts[i]);
      more = b.to - n + 1 - pending.length;
      e.pending.replaceChildren(...pending.map((p) => h('li', { class: 'stream-item', dataset: { seq: p.seq } }, h('span', {}, describe(p)))),
        more > 0 ? h('li', { class: 'stream-item muted' }, h('span', {}, `and ${compact(more)} more`)) : null);
    } else {
      e.pending.replaceChildren(h('li', { class: 'stream-item muted' }, h('span', {}, 'Nothing: the record ends here.')));
    }
    e.pending.dataset.mode = 'batch';
    e.pending.dataset.count = String(pending.length);
    e.pending.dataset.total = String(pending.length + Math.max(0, more));
  }
}
