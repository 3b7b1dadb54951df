// The fan view: pick an event and a section, choose seats on the map (or ask for the
// best available, or a quantity in general admission), hold them, watch the countdown,
// extend, pay or release. Seat statuses stay live through the event feed. An event with
// an open waiting room queues the fan first (queue.js); holds then carry the pass.

import { ApiError, newIdempotencyKey } from './api.js';
import { $, h, money, dateTime } from './dom.js';
import { describeError, list } from './errors.js';
import { EventFeed } from './live.js';
import { SeatMap, statusWord } from './seatmap.js';
import { HoldPanel } from './hold.js';
import { WaitingRoom } from './queue.js';
import { WhyPanel } from './why.js';

const MAX_SEATS_PER_HOLD = 20;

/** FanView owns #view-fan. */
export class FanView {
  constructor(api, messages) {
    this.api = api;
    this.msg = messages;
    this.events = [];
    this.event = null;
    this.sectionId = '';
    this.feed = null;
    // sectionId → {kind, version, statuses: Map(seatId → status)} or GA counts.
    this.sections = new Map();
    this.selected = [];
    this.orderSeats = new Set(); // "eventId/sectionId/seatId" of my confirmed orders
    this.mapRequest = 0;
    // Seats of a hold request in flight: the live feed may show them held before the
    // answer arrives, and they are this fan's, not "taken by someone else".
    this.pending = new Set();
    this.mapSection = ''; // the section the canvas shows, which lags sectionId while loading

    this.el = {
      eventSelect: $('event-select'), eventMeta: $('event-meta'), sectionList: $('section-list'),
      title: $('section-title'), sub: $('section-sub'), live: $('live-status'),
      reserved: $('reserved-area'), ga: $('ga-area'), empty: $('map-empty'),
      seatInfo: $('seat-info'), announcer: $('seat-announcer'), canvas: $('seatmap'),
      capText: $('capacity-text'), capBar: $('capacity-bar'),
      chips: $('selection-chips'), selEmpty: $('selection-empty'), total: $('selection-total'),
      holdBtn: $('hold-btn'), clearBtn: $('clear-btn'), signinHint: $('signin-hint'),
      gaQtyRow: $('ga-qty-row'), gaQty: $('ga-qty'), bestPanel: $('best-panel'),
      bestForm: $('best-form'), bestQty: $('best-qty'), bestAccessible: $('best-accessible'),
      bestBtn: $('best-btn'), orderDone: $('order-done'), orderDoneText: $('order-done-text'),
    };

    this.map = new SeatMap(this.el.canvas, $('map-scroll'), $('seat-tooltip'), {
      onToggle: (seat) => this.toggle(seat),
      onFocus: (seat, info) => this.focusSeat(seat, info),
      describe: (seat) => this.describeSeat(seat),
    });
    this.hold = new HoldPanel(api, messages, {
      onChange: () => this.holdChanged(),
      onOrder: (order) => this.ordered(order),
      onReleased: (hold) => this.applyLocal(hold.event_id, hold.section_id, hold.seats, 'available'),
      maxTickets: () => this.event?.max_tickets_per_user,
      sectionName: (eventId, sectionId) => this.sectionName(eventId, sectionId),
      price: (hold) => {
        const ev = this.events.find((e) => e.id === hold.event_id);
        const sec = ev?.sections.find((s) => s.id === hold.section_id);
        return sec ? { cents: sec.price_cents * (hold.seats?.length || hold.quantity), currency: ev.currency } : null;
      },
      refetch: () => this.refreshSection(),
    });
    this.queue = new WaitingRoom(api, messages, { onChange: () => this.queueChanged() });
    this.why = new WhyPanel(api);

    this.el.eventSelect.addEventListener('change', () => {
      location.hash = `#/events/${encodeURIComponent(this.el.eventSelect.value)}`;
    });
    this.el.holdBtn.addEventListener('click', () => this.holdSelected());
    this.el.clearBtn.addEventListener('click', () => this.setSelected([]));
    this.el.gaQty.addEventListener('change', () => this.updateSelection());
    this.el.bestForm.addEventListener('submit', (e) => { e.preventDefault(); this.holdBest(); });
    $('zoom-in').addEventListener('click', () => this.map.setZoom(this.map.zoom * 1.5));
    $('zoom-out').addEventListener('click', () => this.map.setZoom(this.map.zoom / 1.5));
    $('zoom-fit').addEventListener('click', () => this.map.setZoom(1));
    $('order-done-close').addEventListener('click', () => { this.el.orderDone.hidden = true; });
    api.addEventListener('auth', () => this.authChanged());
  }

  /** show displays the view for the route's event and section (both optional). */
  async show({ eventId = '', sectionId = '' } = {}) {
    try {
      if (this.events.length === 0 || (eventId && !this.events.some((e) => e.id === eventId))) await this.loadEvents();
    } catch (err) {
      this.msg.show('error', `Couldn't load the events. ${describeError(err)}`, { key: 'events' });
      return;
    }
    if (this.events.length === 0) {
      this.el.empty.textContent = 'There are no events on sale right now.';
      return;
    }
    const event = this.events.find((e) => e.id === eventId) || this.events[0];
    const section = event.sections.find((s) => s.id === sectionId) || event.sections[0];
    const path = `#/events/${encodeURIComponent(event.id)}/${encodeURIComponent(section?.id ?? '')}`;
    if (location.hash !== path) history.replaceState(null, '', path);
    if (this.event?.id !== event.id) this.openEvent(event);
    else if (!this.feed) {
      this.startFeed();
      this.loadMyOrders();
      this.refreshSection();
      this.queue.open(event);
    }
    if (section && section.id !== this.sectionId) await this.openSection(section.id);
    this.hold.restore();
  }

  /** hide stops the live feed while another view is on screen. */
  hide() {
    this.feed?.stop();
    this.feed = null;
    this.queue.close();
  }

  async loadEvents() {
    const res = await this.api.request('GET', '/api/v1/events');
    this.events = res.events || [];
    const sel = this.el.eventSelect;
    sel.replaceChildren(...this.events.map((e) => h('option', { value: e.id }, e.name)));
  }

  openEvent(event) {
    this.event = event;
    this.sectionId = '';
    this.mapSection = '';
    this.sections = new Map();
    this.setSelected([]);
    this.el.eventSelect.value = event.id;
    this.el.eventMeta.replaceChildren(
      h('p', { class: 'event-venue' }, event.venue),
      h('p', { class: 'muted' }, dateTime(event.starts_at)),
      h('p', { class: 'muted' }, `Up to ${event.max_tickets_per_user} tickets per fan`),
    );
    this.fillQuantities();
    this.renderSectionList();
    this.startFeed();
    this.loadMyOrders();
    this.queue.open(event);
  }

  startFeed() {
    this.feed?.stop();
    this.feed = new EventFeed(this.event.id, {
      section: (s) => this.applySectionState(s),
      seats: (m) => this.applySeatChanges(m.section_id, m.changes || []),
      capacity: (m) => this.applyCapacity(m),
      refetch: (id) => { if (id === this.sectionId) this.refreshSection(); },
      poll: () => this.poll(),
      status: (state) => this.setLiveStatus(state),
    });
    this.feed.start();
  }

  setLiveStatus(state) {
    const el = this.el.live;
    el.dataset.state = state;
    el.textContent = {
      connecting: 'Connecting…',
      live: 'Live',
      polling: 'Live updates unavailable · refreshing every 2 s',
    }[state] || state;
  }

  fillQuantities() {
    const max = Math.min(this.event?.max_tickets_per_user || 8, MAX_SEATS_PER_HOLD);
    for (const sel of [this.el.bestQty, this.el.gaQty]) {
      const keep = Number(sel.value) || 2;
      sel.replaceChildren(...Array.from({ length: max }, (_, k) => h('option', { value: k + 1 }, String(k + 1))));
      sel.value = String(Math.min(keep, max));
    }
  }

  section(id = this.sectionId) {
    return this.event?.sections.find((s) => s.id === id);
  }

  sectionName(eventId, sectionId) {
    const ev = this.events.find((e) => e.id === eventId);
    return ev?.sections.find((s) => s.id === sectionId)?.name || sectionId;
  }

  /** counts returns {capacity, available, held, sold} of a section, live when known. */
  counts(sec) {
    const st = this.sections.get(sec.id);
    if (st?.statuses) {
      const c = { capacity: st.statuses.size, available: 0, held: 0, sold: 0 };
      for (const s of st.statuses.values()) c[s] = (c[s] || 0) + 1;
      return c;
    }
    if (st?.counts) return st.counts;
    return { capacity: sec.capacity, available: sec.available, held: sec.held, sold: sec.sold };
  }

  renderSectionList() {
    const items = this.event.sections.map((sec) => {
      const c = this.counts(sec);
      const current = sec.id === this.sectionId;
      const pct = (n) => (c.capacity ? (100 * n) / c.capacity : 0);
      return h('li', {},
        h('a', {
          class: 'section-item', href: `#/events/${encodeURIComponent(this.event.id)}/${encodeURIComponent(sec.id)}`,
          'aria-current': current ? 'true' : null, dataset: { section: sec.id },
        },
        h('span', { class: 'section-item-top' },
          h('span', { class: 'section-name' }, sec.name),
          h('span', { class: 'section-price' }, money(sec.price_cents, this.event.currency))),
        h('span', { class: 'section-item-sub muted' },
          h('span', { class: 'kind' }, sec.kind === 'general_admission' ? 'General admission · ' : 'Reserved seating · '),
          c.available === 0 ? 'Sold out' : `${c.available.toLocaleString()} of ${c.capacity.toLocaleString()} left`),
        h('span', { class: 'mini-bar', 'aria-hidden': 'true' },
          h('span', { class: 'cap-sold', style: `width:${pct(c.sold)}%` }),
          h('span', { class: 'cap-held', style: `width:${pct(c.held)}%` }))));
    });
    this.el.sectionList.replaceChildren(...items);
  }

  async openSection(id) {
    this.sectionId = id;
    this.setSelected([]);
    const sec = this.section(id);
    const ga = sec.kind === 'general_admission';
    this.el.title.textContent = sec.name;
    this.el.sub.textContent = `${money(sec.price_cents, this.event.currency)} per ticket · ${ga ? 'General admission' : 'Reserved seating'}`;
    this.showMap();
    this.el.empty.hidden = true;
    this.el.gaQtyRow.hidden = !ga;
    this.el.bestPanel.hidden = ga;
    this.el.canvas.setAttribute('aria-label', `Seat map of ${sec.name}`);
    this.el.seatInfo.textContent = '';
    delete this.el.seatInfo.dataset.seat;
    delete this.el.seatInfo.dataset.status;
    this.why.offer('', '', null, false);
    this.why.hide();
    this.renderSectionList();
    this.updateSelection();
    await this.refreshSection();
    this.updateMine();
  }

  /** showMap shows the section's map, unless the fan waits in the event's queue. */
  showMap() {
    const sec = this.section();
    const waiting = this.queue.waiting();
    const ga = sec?.kind === 'general_admission';
    this.el.reserved.hidden = !sec || ga || waiting;
    this.el.ga.hidden = !sec || !ga || waiting;
  }

  /** queueChanged follows the fan's standing in the waiting room. */
  queueChanged() {
    this.showMap();
    this.updateSelection();
  }

  /** refreshSection fetches the current section's seat map over HTTP. */
  async refreshSection() {
    const id = this.sectionId;
    if (!id || !this.event) return;
    const reqNo = ++this.mapRequest;
    let m;
    try {
      m = await this.api.request('GET',
        `/api/v1/events/${encodeURIComponent(this.event.id)}/sections/${encodeURIComponent(id)}/seats`);
    } catch (err) {
      this.msg.show('error', `Couldn't load the seat map. ${describeError(err)}`, { key: 'seatmap' });
      return;
    }
    if (reqNo !== this.mapRequest || id !== this.sectionId) return;
    this.msg.clear('seatmap');
    // The feed may already know a newer version of this section than the map read.
    const fresh = !this.feed || this.feed.accept(id, m.version);
    if (Array.isArray(m.seats)) {
      const layout = this.mapSection !== id;
      if (!fresh && !layout) return;
      if (fresh) this.sections.set(id, { version: m.version, statuses: new Map(m.seats.map((s) => [s.id, s.status])) });
      this.map.setSeats(m.seats);
      this.mapSection = id;
      if (!fresh) {
        // Lay the seats out from the map, but show the statuses the feed says now.
        const st = this.sections.get(id);
        if (st?.statuses) this.map.setStatuses([...st.statuses].map(([seat, status]) => ({ id: seat, status })));
      }
      this.updateMine();
      this.pruneSelection();
    } else {
      if (!fresh) return;
      this.mapSection = '';
      this.sections.set(id, { version: m.version, counts: pick(m) });
      this.renderCapacity();
    }
    this.renderSectionList();
    this.updateMapLabel();
  }

  poll() {
    this.refreshSection();
  }

  /** applySectionState takes a whole section from the feed's snapshot. */
  applySectionState(s) {
    const id = s.section_id;
    if (Array.isArray(s.seats)) {
      const statuses = new Map(s.seats.map((x) => [x.id, x.status]));
      this.sections.set(id, { version: s.version, statuses });
      if (id === this.mapSection) {
        this.map.setStatuses(s.seats);
        this.pruneSelection();
        this.updateMapLabel();
      }
    } else {
      this.sections.set(id, { version: s.version, counts: pick(s) });
      if (id === this.sectionId) this.renderCapacity();
    }
    this.renderSectionListSoon();
  }

  applySeatChanges(id, changes) {
    const st = this.sections.get(id);
    if (st?.statuses) for (const c of changes) st.statuses.set(c.id, c.status);
    if (id === this.mapSection) {
      const changed = this.map.setStatuses(changes);
      if (changed.length) {
        this.pruneSelection();
        this.updateMapLabel();
      }
    }
    this.renderSectionListSoon();
  }

  applyCapacity(m) {
    // A capacity delta carries the counts that change, not the capacity.
    const counts = pick(m);
    counts.capacity ??= this.sections.get(m.section_id)?.counts?.capacity ?? this.section(m.section_id)?.capacity;
    this.sections.set(m.section_id, { version: m.version, counts });
    if (m.section_id === this.sectionId) this.renderCapacity();
    this.renderSectionListSoon();
  }

  renderSectionListSoon() {
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => { this.listTimer = 0; if (this.event) this.renderSectionList(); }, 250);
  }

  renderCapacity() {
    const sec = this.section();
    if (!sec || sec.kind !== 'general_admission') return;
    const c = this.counts(sec);
    const pct = (n) => (c.capacity ? (100 * n) / c.capacity : 0);
    const text = `${c.available.toLocaleString()} of ${c.capacity.toLocaleString()} left · ${c.sold.toLocaleString()} sold · ${c.held.toLocaleString()} held`;
    this.el.capText.textContent = text;
    this.el.capBar.setAttribute('aria-label', `Capacity: ${text}`);
    this.el.capBar.querySelector('.cap-sold').style.width = `${pct(c.sold)}%`;
    this.el.capBar.querySelector('.cap-held').style.width = `${pct(c.held)}%`;
  }

  updateMapLabel() {
    const sec = this.section();
    if (!sec || sec.kind === 'general_admission') return;
    const c = this.counts(sec);
    this.el.canvas.setAttribute('aria-label',
      `Seat map of ${sec.name}: ${c.capacity.toLocaleString()} seats, ${c.available.toLocaleString()} available`);
  }

  // ---- seats, focus and selection

  isMine(seat) {
    return this.map.mine.has(seat.id) && seat.status !== 'available';
  }

  describeSeat(seat) {
    const parts = [`Row ${seat.row}, seat ${seat.number} (${seat.id})`];
    if (this.isMine(seat)) parts.push(seat.status === 'sold' ? 'Yours (sold to you)' : 'Yours (held for you)');
    else if (this.selected.includes(seat.id)) parts.push('Selected');
    else parts.push(statusWord(seat.status));
    if (seat.accessible) parts.push('Accessible');
    const sec = this.section();
    if (sec) parts.push(money(sec.price_cents, this.event.currency));
    return parts.join(' · ');
  }

  focusSeat(seat, { statusChanged }) {
    const text = this.describeSeat(seat);
    this.el.seatInfo.textContent = text;
    this.el.seatInfo.dataset.seat = seat.id;
    this.el.seatInfo.dataset.status = seat.status;
    this.why.offer(this.event?.id, this.sectionId, seat, this.isMine(seat));
    this.announce(statusChanged ? `${seat.id} is now ${statusWord(seat.status).toLowerCase()}` : text);
  }

  announce(text) {
    clearTimeout(this.announceTimer);
    // A short delay lets fast arrow-key movement settle before the screen reader speaks.
    this.announceTimer = setTimeout(() => { this.el.announcer.textContent = text; }, 120);
  }

  toggle(seat) {
    if (this.selected.includes(seat.id)) {
      this.setSelected(this.selected.filter((id) => id !== seat.id));
      this.announce(`${seat.id} unselected. ${this.selectionSummary()}`);
      return;
    }
    if (seat.status !== 'available') {
      this.announce(`${seat.id} is ${this.isMine(seat) ? 'already yours' : statusWord(seat.status).toLowerCase()} and can't be selected.`);
      return;
    }
    const max = Math.min(this.event.max_tickets_per_user || 8, MAX_SEATS_PER_HOLD);
    if (this.selected.length >= max) {
      this.msg.show('warning', `You can pick up to ${max} seats at a time.`, { key: 'limit' });
      this.announce(`You can pick up to ${max} seats.`);
      return;
    }
    this.setSelected([...this.selected, seat.id]);
    this.announce(`${seat.id} selected. ${this.selectionSummary()}`);
  }

  /** refreshFocusInfo rewrites the focused seat's line after its selection or ownership changed. */
  refreshFocusInfo() {
    const f = this.map.focused();
    if (f && this.el.seatInfo.dataset.seat === f.id) {
      this.el.seatInfo.textContent = this.describeSeat(f);
      this.el.seatInfo.dataset.status = f.status;
      this.why.offer(this.event?.id, this.sectionId, f, this.isMine(f));
    }
  }

  selectionSummary() {
    const n = this.selected.length;
    return n === 0 ? 'No seats selected.' : `${n} ${n === 1 ? 'seat' : 'seats'} selected.`;
  }

  setSelected(ids) {
    this.selected = ids;
    this.map.setSelected(ids);
    this.updateSelection();
    this.refreshFocusInfo();
  }

  /** pruneSelection drops selected seats that someone else just took, and says so. */
  pruneSelection() {
    const gone = this.selected.filter((id) => !this.pending.has(id) && this.map.seat(id)?.status !== 'available');
    if (gone.length === 0) return;
    this.setSelected(this.selected.filter((id) => !gone.includes(id)));
    this.msg.show('warning', `${list(gone)} ${gone.length === 1 ? 'was' : 'were'} just taken by someone else and removed from your selection.`, { key: 'taken' });
  }

  updateSelection() {
    const sec = this.section();
    const ga = sec?.kind === 'general_admission';
    const signedIn = this.api.signedIn;
    const busy = this.hold.active() || this.queue.waiting();
    const n = ga ? Number(this.el.gaQty.value) || 0 : this.selected.length;
    this.el.chips.replaceChildren(...this.selected.map((id) => h('li', { class: 'chip' },
      h('span', {}, id),
      h('button', {
        type: 'button', class: 'chip-x', 'aria-label': `Remove ${id}`,
        onclick: () => this.setSelected(this.selected.filter((x) => x !== id)),
      }, '×'))));
    this.el.selEmpty.hidden = ga || this.selected.length > 0;
    this.el.total.textContent = sec && n > 0 ? money(n * sec.price_cents, this.event.currency) : '—';
    this.el.holdBtn.textContent = ga ? `Hold ${n} ${n === 1 ? 'ticket' : 'tickets'}`
      : n > 0 ? `Hold ${n} ${n === 1 ? 'seat' : 'seats'}` : 'Hold seats';
    this.el.holdBtn.disabled = !sec || n === 0 || !signedIn || busy;
    this.el.clearBtn.disabled = ga || this.selected.length === 0;
    this.el.bestBtn.disabled = !sec || !signedIn || busy;
    this.el.signinHint.hidden = signedIn && !busy;
    this.el.signinHint.textContent = !signedIn ? 'Sign in (top right) to hold seats.'
      : this.queue.waiting() ? 'Wait for your turn in the queue to hold seats.'
        : 'Finish or release your current hold to start another.';
  }

  // ---- holds

  async createHold(body) {
    if (!this.api.signedIn) {
      this.msg.show('warning', 'Please sign in first: type your name at the top right.', { key: 'signin' });
      document.getElementById('signin-user')?.focus();
      return;
    }
    const key = newIdempotencyKey();
    const path = `/api/v1/events/${encodeURIComponent(this.event.id)}/holds`;
    this.pending = new Set(body.seats || []);
    this.setBusy(true);
    try {
      const hold = await this.api.request('POST', path, {
        body, auth: true, idempotencyKey: key, queuePass: this.queue.pass(this.event.id),
        onRetry: (s) => this.msg.show('info', describeError({ code: 'UNAVAILABLE', retryAfter: s }), { key: 'retry' }),
      });
      this.msg.clear('retry');
      this.setSelected([]);
      this.el.orderDone.hidden = true;
      this.applyLocal(hold.event_id, hold.section_id, hold.seats, 'held');
      this.hold.set(hold, { focus: true });
      const seats = hold.seats?.length ? list(hold.seats) : `${hold.quantity} tickets`;
      this.msg.show('success', `Held ${seats} for you. Pay before the timer runs out.`, { key: 'hold' });
    } catch (err) {
      this.msg.clear('retry');
      this.pending = new Set();
      this.holdFailed(err);
      this.pruneSelection();
    } finally {
      this.pending = new Set();
      this.setBusy(false);
    }
  }

  holdFailed(err) {
    this.msg.show('error', describeError(err, { maxTickets: this.event.max_tickets_per_user }), { key: 'hold' });
    if (err instanceof ApiError && err.code === 'SEAT_UNAVAILABLE') {
      const taken = Array.isArray(err.details?.seats) ? err.details.seats : [];
      this.setSelected(this.selected.filter((id) => !taken.includes(id)));
      this.refreshSection();
    } else if (err instanceof ApiError && err.code === 'SOLD_OUT') {
      this.refreshSection();
    } else if (err instanceof ApiError && err.code === 'QUEUE_REQUIRED') {
      // The room opened, or the pass ran out: back to the queue.
      this.queue.open(this.event);
    }
  }

  setBusy(busy) {
    this.el.holdBtn.setAttribute('aria-busy', String(busy));
    this.el.bestBtn.setAttribute('aria-busy', String(busy));
    if (busy) {
      this.el.holdBtn.disabled = true;
      this.el.bestBtn.disabled = true;
    } else {
      this.updateSelection();
    }
  }

  holdSelected() {
    const sec = this.section();
    if (!sec) return;
    if (sec.kind === 'general_admission') {
      this.createHold({ section_id: sec.id, quantity: Number(this.el.gaQty.value) });
    } else if (this.selected.length) {
      this.createHold({ section_id: sec.id, seats: [...this.selected] });
    }
  }

  holdBest() {
    const sec = this.section();
    if (!sec) return;
    const body = { section_id: sec.id, quantity: Number(this.el.bestQty.value) };
    if (this.el.bestAccessible.checked) body.accessible = true;
    this.createHold(body);
  }

  holdChanged() {
    this.updateMine();
    this.updateSelection();
  }

  ordered(order) {
    for (const id of order.seats || []) this.orderSeats.add(`${order.event_id}/${order.section_id}/${id}`);
    this.applyLocal(order.event_id, order.section_id, order.seats, 'sold');
    this.el.orderDoneText.replaceChildren(
      'Order ', h('strong', { class: 'mono', id: 'order-done-id' }, order.id), ' is confirmed: ',
      order.seats?.length ? `${this.sectionName(order.event_id, order.section_id)} ${list(order.seats)}`
        : `${order.quantity} × ${this.sectionName(order.event_id, order.section_id)}`,
      ` · ${money(order.total_cents, order.currency)}.`);
    this.el.orderDone.hidden = false;
    this.el.orderDone.focus();
    this.updateMine();
    this.refreshSection();
  }

  /**
   * applyLocal shows what the server just answered this fan (seats held, sold or
   * released) without waiting for the live feed or the next poll to say it too.
   */
  applyLocal(eventId, sectionId, ids, status) {
    if (!ids?.length || eventId !== this.event?.id) return;
    const changes = ids.map((id) => ({ id, status }));
    const st = this.sections.get(sectionId);
    if (st?.statuses) for (const c of changes) st.statuses.set(c.id, c.status);
    if (sectionId === this.mapSection) this.map.setStatuses(changes);
    this.renderSectionListSoon();
  }

  updateMine() {
    if (!this.event) return;
    const mine = [];
    const prefix = `${this.event.id}/${this.sectionId}/`;
    for (const k of this.orderSeats) if (k.startsWith(prefix)) mine.push(k.slice(prefix.length));
    const hold = this.hold.current;
    if (hold && hold.event_id === this.event.id && hold.section_id === this.sectionId) mine.push(...(hold.seats || []));
    this.map.setMine(mine);
    this.refreshFocusInfo();
  }

  async loadMyOrders() {
    this.orderSeats = new Set();
    if (!this.api.signedIn) { this.updateMine(); return; }
    try {
      const res = await this.api.request('GET', '/api/v1/me/orders', { auth: true });
      for (const o of res.orders || []) {
        if (o.status !== 'confirmed') continue;
        for (const id of o.seats || []) this.orderSeats.add(`${o.event_id}/${o.section_id}/${id}`);
      }
    } catch {
      // Only the "yours" colouring depends on it; the map still works.
    }
    this.updateMine();
  }

  authChanged() {
    this.hold.authChanged();
    this.queue.authChanged();
    this.updateSelection();
    if (this.event) this.loadMyOrders();
  }
}

function pick(m) {
  return { capacity: m.capacity, available: m.available, held: m.held, sold: m.sold };
}
