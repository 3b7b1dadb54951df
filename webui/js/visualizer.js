// The visualizer: follows /ws/visualizer and shows the nodes and the section actors
// they host, mailbox depths, a batch timeline, counters, throughput and latency charts,
// the waiting rooms and the headroom their admission follows, lease actions, the Kafka
// stream and membership changes. Traces only update in-memory
// state; the screen is redrawn on animation frames, a few times a second at most.

import { $, h, compact, prefersReducedMotion } from './dom.js';
import { wsURL } from './live.js';
import { LineChart, Timeline, niceMax } from './charts.js';
import { ReplayPanel } from './replay.js';
import { SectionView } from './sectionview.js';
import { ChaosPanel, controlHelp } from './chaos.js';

const KAFKA_KEEP = 50;
const LOG_KEEP = 50;
const SECONDS = 60;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const CLUSTER_POLL_MS = 5000;
/** An outbox record unpublished this long breaks the promise that every change reaches Kafka. */
const OUTBOX_LAG_LIMIT_MS = 60000;

const LEASE_STYLE = {
  acquire: { color: 'acquire', shape: 'dot', r: 6 },
  renew: { color: 'renew', shape: 'tick', r: 7 },
  release: { color: 'release', shape: 'dot', r: 6 },
  contended: { color: 'contended', shape: 'diamond', r: 7 },
  lose: { color: 'lose', shape: 'diamond', r: 8 },
};

/** VisualizerView owns #view-visualizer. */
export class VisualizerView {
  constructor(api, messages, flashSale) {
    this.api = api;
    this.msg = messages;
    this.flash = flashSale;
    this.replay = new ReplayPanel(api, messages, flashSale.events);
    this.ws = null;
    this.visible = false;
    this.attempt = 0;
    this.retryTimer = 0;
    this.clusterTimer = 0;
    this.frame = 0;
    this.lastDraw = 0;
    this.reset();
    this.sectionView = new SectionView(api, $('view-visualizer'));

    this.el = {
      status: $('viz-status'), rate: $('viz-rate'), commits: $('viz-commits'), rollbacks: $('viz-rollbacks'),
      fenced: $('viz-fenced'), decisions: $('viz-decisions'), kafkaCount: $('viz-kafka-count'),
      nodes: $('nodes'), mailboxes: $('mailboxes'), kafka: $('kafka-list'), log: $('cluster-log'),
      timeline: $('batch-timeline'), rooms: $('rooms'),
      invariants: $('invariants'), failover: $('failover-list'), locksHeld: $('locks-held'), locks: $('locks-list'), txCounts: $('tx-counts'), txs: $('tx-list'),
    };
    this.chaos = new ChaosPanel(api, messages);
    $('chaos-help').replaceChildren(...controlHelp());
    this.batches = new Timeline($('batch-timeline'), $('batch-tooltip'), { windowMs: 30000, laneHeight: 40, empty: 'No batches in the last 30 s' });
    this.leases = new Timeline($('lease-timeline'), $('lease-tooltip'), { laneHeight: 26, empty: 'No lease activity in the last minute' });
    this.throughput = new LineChart($('throughput-chart'), { series: [{ name: 'decisions/s', color: 'line-1' }] });
    this.latency = new LineChart($('latency-chart'), {
      series: [{ name: 'average ms', color: 'line-1' }, { name: 'slowest ms', color: 'line-2' }],
    });
    this.roomChart = new LineChart($('rooms-chart'), {
      series: [{ name: 'admitting/s', color: 'line-1' }, { name: 'decisions/s', color: 'line-2' }],
    });
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      for (const c of [this.batches, this.leases, this.throughput, this.latency, this.roomChart]) c.refreshColors();
      this.dirty = true;
    });
  }

  reset() {
    this.nodes = new Map(); // name → {status, address, sections:Set, count, self}
    this.mailbox = new Map(); // actor → depth
    this.counts = { commit: 0, rollback: 0, fenced: 0, decisions: 0, kafka: 0 };
    this.buckets = new Map(); // second → {decisions, ms, n, max}
    this.rooms = new Map(); // event id → {trace, admittedPerS, seen}
    this.roomBuckets = new Map(); // second → Map(event id → {admitting, dps})
    this.kafka = [];
    this.log = [];
    this.locks = []; // the last lock traces, newest first
    this.held = new Map(); // lock key → {seat, user, node, since}
    this.txs = []; // the last tx and retry traces, newest first
    this.txCounts = { commit: 0, rollback: 0, retry: 0 };
    this.violated = new Map(); // invariant → its first violation trace
    this.outbox = null; // the latest outbox lag trace: {records, ms, node}
    this.failovers = []; // sections answering again after their node failed, newest first
    this.lastSeen = new Map(); // node → when its last trace was traced
    this.faults = new Map(); // failed node → {since, sections, answered:Set}
    this.paused = new Set(); // sections paused in the classroom
    this.dirty = true;
  }

  show() {
    this.visible = true;
    this.connect();
    this.pollCluster();
    this.flash.show();
    this.replay.show();
    this.chaos.show();
    this.loop();
  }

  hide() {
    this.visible = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.clusterTimer);
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.flash.hide();
    this.replay.hide();
    this.sectionView.hide();
    this.chaos.hide();
  }

  setStatus(state, text) {
    this.el.status.dataset.state = state;
    this.el.status.textContent = text;
  }

  connect() {
    if (!this.visible || this.ws) return;
    this.setStatus('connecting', this.attempt ? 'Reconnecting…' : 'Connecting…');
    let ws;
    try {
      ws = new WebSocket(wsURL('/ws/visualizer'));
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setStatus('live', 'Live');
    };
    ws.onmessage = (ev) => {
      let t;
      try { t = JSON.parse(ev.data); } catch { return; }
      this.trace(t);
    };
    ws.onclose = () => {
      this.ws = null;
      this.retry();
    };
  }

  retry() {
    if (!this.visible) return;
    this.setStatus('polling', 'Visualizer stream unavailable · retrying');
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => this.connect(), delay * (1 + 0.2 * Math.random()));
  }

  node(name) {
    let n = this.nodes.get(name);
    if (!n) {
      n = { status: 'alive', address: '', sections: new Set(), count: null, self: false };
      this.nodes.set(name, n);
    }
    return n;
  }

  note(text) {
    this.log.unshift({ at: new Date(), text });
    if (this.log.length > LOG_KEEP) this.log.length = LOG_KEEP;
  }

  /** trace folds one visualizer trace into the view's state. */
  trace(t) {
    // A replayed trace (the last minute, sent after the hello) is placed at its own time.
    const at = t.at ? Date.parse(t.at) : NaN;
    const now = Number.isFinite(at) ? Math.min(at, Date.now()) : Date.now();
    this.dirty = true;
    if (t.node && t.type !== 'member') this.lastSeen.set(t.node, now);
    switch (t.type) {
      case 'hello': {
        const n = this.node(t.node);
        n.self = true;
        n.sections = new Set(t.sections || []);
        for (const other of t.nodes || []) this.node(other.name).sections = new Set(other.sections || []);
        this.setStatus('live', `Live · node ${t.node} · ${this.nodes.size} ${this.nodes.size === 1 ? 'node' : 'nodes'}`);
        break;
      }
      case 'sections': {
        const mine = new Set(t.sections || []);
        for (const [name, other] of this.nodes) if (name !== t.node) for (const s of mine) other.sections.delete(s);
        this.node(t.node).sections = mine;
        break;
      }
      case 'activation': {
        for (const other of this.nodes.values()) other.sections.delete(t.actor);
        this.node(t.node).sections.add(t.actor);
        this.answered(t, now);
        const takeover = t.action === 'takeover' ? ` · took over after ${((t.ms || 0) / 1000).toFixed(1)} s without an owner` : '';
        this.note(`${t.actor} activated on ${t.node}${t.epoch ? ` (epoch ${t.epoch})` : ''}${takeover}`);
        break;
      }
      case 'passivation':
        this.nodes.get(t.node)?.sections.delete(t.actor);
        this.mailbox.delete(t.actor);
        this.paused.delete(t.actor);
        this.note(`${t.actor} passivated on ${t.node}`);
        break;
      case 'mailbox':
        this.mailbox.set(t.actor, t.depth || 0);
        break;
      case 'paused':
        this.paused.add(t.actor);
        this.note(`${t.actor} paused on ${t.node}${t.user ? ` by ${t.user}` : ''}`);
        break;
      case 'resumed':
        this.paused.delete(t.actor);
        this.note(`${t.actor} resumed on ${t.node}${t.reason ? `: ${t.reason}` : t.user ? ` by ${t.user}` : ''}`);
        break;
      case 'batch': {
        this.answered(t, now);
        const outcome = ['commit', 'rollback', 'fenced'].includes(t.outcome) ? t.outcome : 'commit';
        const decisions = t.decisions || 0;
        this.counts[outcome]++;
        this.counts.decisions += decisions;
        const sec = Math.floor(now / 1000);
        const b = this.buckets.get(sec) || { decisions: 0, ms: 0, n: 0, max: 0 };
        b.decisions += decisions;
        b.ms += t.ms || 0;
        b.n++;
        b.max = Math.max(b.max, t.ms || 0);
        this.buckets.set(sec, b);
        this.lastBatch = t;
        this.batches.add({
          t: now, lane: t.actor || '?', color: outcome, r: 2.5 + Math.sqrt(decisions) * 1.3, loud: outcome !== 'commit',
          label: `${t.node} · ${t.actor} · ${decisions} ${decisions === 1 ? 'decision' : 'decisions'} · ${outcome} · ${(t.ms || 0).toFixed(1)} ms${t.version ? ` · v${t.version}` : ''}`,
        });
        break;
      }
      case 'lease': {
        const style = LEASE_STYLE[t.action] || LEASE_STYLE.acquire;
        const lane = String(t.actor || '?').replace(/^section:/, '');
        this.leases.add({ t: now, lane, ...style, loud: t.action !== 'renew', label: `${lane} · ${t.action} · ${t.node}` });
        if (t.action !== 'renew') this.note(`lease ${t.action}: ${lane} on ${t.node}`);
        break;
      }
      case 'queue':
        this.queueTrace(t, now);
        break;
      case 'invariant':
        if (!this.violated.has(t.action)) this.violated.set(t.action, t);
        this.note(`invariant ${t.action} broken on ${t.actor}: ${t.reason} (seen by ${t.node})`);
        break;
      case 'outbox':
        this.outbox = { records: t.depth || 0, ms: t.ms || 0, node: t.node };
        if (this.outbox.ms >= OUTBOX_LAG_LIMIT_MS && !this.violated.has('outbox_lag')) {
          this.violated.set('outbox_lag', { actor: 'outbox', reason: `${this.outbox.records} records unpublished, the oldest for ${(this.outbox.ms / 1000).toFixed(0)} s`, node: t.node });
        }
        break;
      case 'lock':
        if (t.action === 'take') this.held.set(t.key, { seat: `${t.actor}/${t.seat}`, user: t.user, node: t.node, since: now });
        if (t.action === 'release') this.held.delete(t.key);
        this.locks.unshift(t);
        if (this.locks.length > LOG_KEEP) this.locks.length = LOG_KEEP;
        break;
      case 'tx':
      case 'retry':
        this.txCounts[t.type === 'retry' ? 'retry' : (t.outcome === 'commit' ? 'commit' : 'rollback')]++;
        this.txs.unshift(t);
        if (this.txs.length > LOG_KEEP) this.txs.length = LOG_KEEP;
        break;
      case 'kafka':
        this.counts.kafka++;
        this.kafka.unshift({ topic: t.topic, key: t.key, offset: t.offset ?? 0, node: t.node });
        if (this.kafka.length > KAFKA_KEEP) this.kafka.length = KAFKA_KEEP;
        break;
      case 'member': {
        this.fault(t, now);
        if (t.member) {
          const status = { join: 'alive', alive: 'alive', suspect: 'suspect', leave: 'left' }[t.action] || t.action;
          if (status) this.node(t.member).status = status;
          if (t.action === 'leave') this.node(t.member).sections.clear();
        }
        this.note(`member ${t.member} ${t.action}${t.node ? ` (seen by ${t.node})` : ''}`);
        break;
      }
      default:
    }
  }

  /**
   * fault starts the failover clock of a member seen suspect or leaving: from its last
   * trace (about when it stopped), for each section it hosted. A member back alive
   * stops it.
   */
  fault(t, now) {
    if (!t.member || t.member === t.node) return;
    if (t.action === 'join' || t.action === 'alive') {
      this.faults.delete(t.member);
      return;
    }
    if ((t.action !== 'suspect' && t.action !== 'leave') || this.faults.has(t.member)) return;
    const n = this.nodes.get(t.member);
    if (!n || n.sections.size === 0) return;
    this.faults.set(t.member, { since: this.lastSeen.get(t.member) ?? now, sections: new Set(n.sections), answered: new Set() });
  }

  /** answered stops the failover clock of a section that answers on another node. */
  answered(t, now) {
    for (const [failed, f] of this.faults) {
      if (t.node === failed || !f.sections.has(t.actor) || f.answered.has(t.actor)) continue;
      f.answered.add(t.actor);
      this.failovers.unshift({ actor: t.actor, from: failed, node: t.node, ms: Math.max(0, now - f.since), at: new Date(now) });
      if (this.failovers.length > LOG_KEEP) this.failovers.length = LOG_KEEP;
    }
  }

  /** queueTrace folds a waiting room's state: its queue, its rate and its headroom. */
  queueTrace(t, now) {
    const prev = this.rooms.get(t.event_id);
    let admittedPerS = prev?.admittedPerS ?? 0;
    if (prev && now > prev.seen) {
      admittedPerS = Math.max(0, ((t.admitted || 0) - (prev.trace.admitted || 0)) / ((now - prev.seen) / 1000));
    }
    this.rooms.set(t.event_id, { trace: t, admittedPerS, seen: now });
    const sec = Math.floor(now / 1000);
    const b = this.roomBuckets.get(sec) || new Map();
    b.set(t.event_id, { admitting: t.admitting_per_s || 0, dps: t.decisions_per_s || 0 });
    this.roomBuckets.set(sec, b);
  }

  async pollCluster() {
    clearTimeout(this.clusterTimer);
    if (!this.visible) return;
    if (this.api.adminToken) {
      try {
        const c = await this.api.request('GET', '/api/v1/cluster', { admin: true });
        for (const m of c.members || []) {
          const n = this.node(m.name);
          n.status = m.status;
          n.address = m.address;
          n.count = m.sections;
        }
        if (c.node) this.node(c.node).self = true;
        this.clusterNote = '';
      } catch (err) {
        this.clusterNote = err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN'
          ? 'The admin token was refused, so only what the stream says is shown.' : '';
      }
      this.dirty = true;
    }
    this.clusterTimer = setTimeout(() => this.pollCluster(), CLUSTER_POLL_MS);
  }

  loop() {
    if (!this.visible) return;
    this.frame = requestAnimationFrame((ts) => {
      const every = prefersReducedMotion() ? 1000 : 100;
      if (ts - this.lastDraw >= every) {
        this.lastDraw = ts;
        this.render();
      }
      this.loop();
    });
  }

  render() {
    const now = Date.now();
    this.batches.draw(now);
    this.leases.draw(now);
    const sec = Math.floor(now / 1000);
    for (const k of this.buckets.keys()) if (k < sec - SECONDS) this.buckets.delete(k);
    const thr = [];
    const avg = [];
    const max = [];
    for (let s = sec - SECONDS + 1; s <= sec; s++) {
      const b = this.buckets.get(s);
      thr.push(b ? b.decisions : 0);
      avg.push(b && b.n ? b.ms / b.n : 0);
      max.push(b ? b.max : 0);
    }
    // The current second is still filling: drop it from the charts.
    thr.pop(); avg.pop(); max.pop();
    this.throughput.draw([thr]);
    this.latency.draw([avg, max]);
    this.drawRooms(sec);
    if (!this.dirty && this.lastSec === sec) return;
    this.dirty = false;
    this.lastSec = sec;
    this.el.rate.textContent = compact(thr[thr.length - 1] || 0);
    this.el.commits.textContent = compact(this.counts.commit);
    this.el.rollbacks.textContent = compact(this.counts.rollback);
    this.el.fenced.textContent = compact(this.counts.fenced);
    this.el.decisions.textContent = compact(this.counts.decisions);
    this.el.kafkaCount.textContent = compact(this.counts.kafka);
    const b = this.lastBatch;
    this.el.timeline.setAttribute('aria-label', b
      ? `Batch timeline. Latest batch: ${b.actor}, ${b.decisions || 0} decisions, ${b.outcome}, ${(b.ms || 0).toFixed(1)} ms.`
      : 'Batch timeline: no batches yet.');
    this.renderNodes();
    this.renderMailboxes();
    this.renderRooms(now);
    this.renderStream();
    this.renderInvariants();
    this.renderLocks(now);
    this.renderTxs();
  }

  /** renderInvariants shows each invariant green, or red from its first violation on. */
  renderInvariants() {
    const rows = [
      ['sold_once', 'Seats sold at most once'],
      ['versions_gap_free', 'Versions gap-free per section'],
      ['confirmed_seats_sold', "Every confirmed order's seats sold"],
      ['outbox_lag', `Outbox lag (every change on Kafka within ${OUTBOX_LAG_LIMIT_MS / 1000} s)`],
    ];
    const o = this.outbox;
    this.el.invariants.replaceChildren(...rows.map(([id, label]) => {
      const v = this.violated.get(id);
      // The outbox lag is a live figure too: amber while records wait, red for good past the limit.
      const lagging = !v && id === 'outbox_lag' && o && o.records > 0;
      const state = v ? 'violated' : lagging ? 'lagging' : 'ok';
      const now = id === 'outbox_lag' && o ? `now ${o.records} ${o.records === 1 ? 'record' : 'records'} waiting${o.records ? `, oldest ${(o.ms / 1000).toFixed(1)} s` : ''} · ${o.node}` : '';
      return h('li', { class: 'invariant', dataset: { invariant: id, state } },
        h('span', { class: `badge ${v ? 'tx-rollback' : lagging ? 'tx-retry' : 'tx-commit'}` }, v ? 'violated' : lagging ? 'lagging' : 'holds'),
        h('span', {}, label),
        v ? h('span', { class: 'muted small' }, `${v.actor}: ${v.reason} · ${v.node}`) : null,
        now ? h('span', { class: 'muted small outbox-now' }, now) : null);
    }));
    this.el.failover.replaceChildren(...(this.failovers.length ? this.failovers.map((f) => h('li', { class: 'stream-item' },
      h('time', { class: 'mono muted', datetime: f.at.toISOString() }, f.at.toLocaleTimeString()),
      h('span', { class: 'mono' }, f.actor),
      h('span', {}, `${f.from} failed · answered again on ${f.node} after ${(f.ms / 1000).toFixed(2)} s`))) : [h('li', { class: 'muted' }, 'No section has moved after a failure.')]));
  }

  /** renderLocks shows the seat locks held now and the latest lock actions. */
  renderLocks(now) {
    // A lock whose release was lost (a dropped trace) ages out after its TTL at the most.
    for (const [k, l] of this.held) if (now - l.since > 60000) this.held.delete(k);
    const held = [...this.held.values()].sort((a, b) => a.seat.localeCompare(b.seat));
    this.el.locksHeld.replaceChildren(...held.map((l) => h('li', { class: 'chip chip-section', title: `${l.user} on ${l.node}` }, `${l.seat} · ${l.user}`)));
    this.el.locks.replaceChildren(...(this.locks.length ? this.locks.map((l) => h('li', { class: 'stream-item lock-item', dataset: { action: l.action } },
      h('span', { class: `badge lock-${l.action}` }, l.action),
      h('span', { class: 'mono' }, `${l.actor}/${l.seat}`),
      h('span', { class: 'muted' }, [
        l.user,
        l.action === 'take' ? `ttl ${(l.ttl_ms || 0) / 1000} s` : '',
        l.action === 'release' ? `held ${(l.ms || 0).toFixed(1)} ms · ${l.outcome}` : '',
        l.reason || '',
        l.node,
      ].filter(Boolean).join(' · ')))) : [h('li', { class: 'muted' }, 'No seat locks: the lock strategy is not running, or nobody is buying.')]));
  }

  /** renderTxs shows the latest transactions, with their statements, and retries. */
  renderTxs() {
    const c = this.txCounts;
    this.el.txCounts.textContent = `${compact(c.commit)} committed · ${compact(c.rollback)} rolled back · ${compact(c.retry)} retries`;
    this.el.txs.replaceChildren(...(this.txs.length ? this.txs.map((t) => {
      const outcome = t.type === 'retry' ? 'retry' : t.outcome;
      const head = [t.action, t.actor && `${t.actor}${t.seat ? `/${t.seat}` : ''}`, t.user, t.attempt > 1 ? `attempt ${t.attempt}` : '',
        t.type === 'tx' ? `${(t.ms || 0).toFixed(1)} ms` : '', t.reason, t.node].filter(Boolean).join(' · ');
      return h('li', { class: 'stream-item tx-item', dataset: { outcome } },
        h('span', { class: `badge tx-${outcome}` }, outcome),
        t.statements ? h('details', {}, h('summary', {}, head),
          h('ol', { class: 'tx-statements mono small' }, t.statements.map((s) => h('li', {}, s)))) : h('span', {}, head));
    }) : [h('li', { class: 'muted' }, 'No transactions: a classic strategy (lock or pg) is not running, or nobody is buying.')]));
  }

  /** drawRooms charts every room's admission rate against its sections' decisions/s. */
  drawRooms(sec) {
    for (const k of this.roomBuckets.keys()) if (k < sec - SECONDS) this.roomBuckets.delete(k);
    const admitting = [];
    const dps = [];
    let last = new Map();
    for (let s = sec - SECONDS + 1; s <= sec; s++) {
      // A room traces about once a second: a second without a trace keeps the last one.
      last = this.roomBuckets.get(s) || last;
      let a = 0;
      let d = 0;
      for (const v of last.values()) { a += v.admitting; d += v.dps; }
      admitting.push(a);
      dps.push(d);
    }
    this.roomChart.draw([admitting, dps]);
  }

  renderRooms(now) {
    const entries = [...this.rooms.entries()].filter(([, r]) => now - r.seen < 5000).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      this.el.rooms.replaceChildren(h('p', { class: 'muted' }, 'No waiting room is open.'));
      return;
    }
    const num = (v, digits = 0) => (v || 0).toLocaleString(undefined, { maximumFractionDigits: digits });
    this.el.rooms.replaceChildren(...entries.map(([id, { trace: t, admittedPerS }]) => h('div', {
      class: 'room-card', dataset: { event: id, change: t.outcome || '' },
    },
    h('div', { class: 'node-head' },
      h('strong', { class: 'mono' }, id),
      h('span', { class: 'badge' }, t.action === 'fixed' ? 'fixed rate' : 'follows headroom'),
      t.outcome && t.outcome !== 'fixed' ? h('span', { class: `badge badge-change-${t.outcome}` }, t.outcome) : null,
      // Sold out: the waiting fans beyond the seats left were told so; seats that come
      // back go to the fans up to sold_out_after.
      t.sold_out ? h('span', { class: 'badge badge-sold-out' },
        t.sold_out_after ? `sold out after #${num(t.sold_out_after)}` : 'sold out') : null),
    h('dl', { class: 'room-numbers' },
      h('div', {}, h('dt', {}, 'Waiting'), h('dd', { class: 'room-waiting' }, num(t.waiting))),
      h('div', {}, h('dt', {}, 'Admitted/s'), h('dd', { class: 'room-admitted-rate' }, num(admittedPerS, 1))),
      h('div', {}, h('dt', {}, 'Admitting at'), h('dd', { class: 'room-rate' }, `${num(t.admitting_per_s, 1)}/s`)),
      h('div', {}, h('dt', {}, 'Decisions/s'), h('dd', {}, num(t.decisions_per_s))),
      h('div', {}, h('dt', {}, 'Deepest mailbox'), h('dd', {}, num(t.depth))),
      h('div', {}, h('dt', {}, 'Batch write'), h('dd', {}, `${num(t.ms, 1)} ms`))))));
  }

  renderNodes() {
    if (this.nodes.size === 0) {
      this.el.nodes.replaceChildren(h('p', { class: 'muted' }, 'Waiting for the stream to say hello…'));
      return;
    }
    const cards = [...this.nodes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => {
      const secs = [...n.sections].sort();
      const count = n.count ?? secs.length;
      return h('div', { class: 'node-card', dataset: { node: name, status: n.status } },
        h('div', { class: 'node-head' },
          h('span', { class: `node-dot node-${n.status}`, 'aria-hidden': 'true' }),
          h('strong', { class: 'mono' }, name),
          n.self ? h('span', { class: 'badge badge-self' }, 'this node') : null,
          h('span', { class: 'badge' }, n.status)),
        h('p', { class: 'muted small' }, `${count} ${count === 1 ? 'section' : 'sections'} hosted${n.address ? ` · ${n.address}` : ''}`),
        secs.length ? h('ul', { class: 'chips chips-small', 'aria-label': `Sections on ${name}` },
          secs.map((s) => this.sectionChip(s))) : null);
    });
    if (this.clusterNote) cards.push(h('p', { class: 'muted small' }, this.clusterNote));
    this.el.nodes.replaceChildren(...cards);
  }

  /** sectionChip is a section's chip: clicking it opens the section view. */
  sectionChip(s) {
    const paused = this.paused.has(s);
    return h('li', { class: `chip chip-section${paused ? ' chip-paused' : ''}`, dataset: { section: s }, role: 'button', tabindex: '0',
      title: paused ? 'Paused: deciding nothing. Click to inspect.' : 'Click to inspect the live actor' }, paused ? `⏸ ${s}` : s);
  }

  renderMailboxes() {
    const entries = [...this.mailbox.entries()].sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      this.el.mailboxes.replaceChildren(h('li', { class: 'muted' }, 'No active section actors yet.'));
      return;
    }
    // The scale follows a slowly decaying peak, so bars do not jump at every trace.
    this.mailPeak = Math.max(...entries.map(([, d]) => d), (this.mailPeak || 0) * 0.98);
    const peak = niceMax(Math.max(10, this.mailPeak * 1.25));
    this.el.mailboxes.replaceChildren(...entries.map(([actor, depth]) => h('li', { class: 'bar-row' },
      h('span', { class: 'bar-label mono', dataset: { section: actor }, role: 'button', tabindex: '0' }, this.paused.has(actor) ? `⏸ ${actor}` : actor),
      h('span', { class: 'bar', role: 'img', 'aria-label': `${actor}: ${depth} waiting` },
        h('span', { class: 'bar-fill', style: `width:${(100 * depth) / peak}%`, dataset: { level: depth > peak * 0.75 ? 'high' : 'normal' } })),
      h('span', { class: 'bar-value' }, String(depth)))));
  }

  renderStream() {
    this.el.kafka.replaceChildren(...(this.kafka.length ? this.kafka.map((k) => h('li', { class: 'stream-item' },
      h('span', { class: `topic topic-${k.topic?.replace(/\W/g, '-')}` }, k.topic),
      h('span', { class: 'mono stream-key' }, k.key),
      h('span', { class: 'mono muted' }, `@${k.offset}`),
      k.node ? h('span', { class: 'badge badge-node' }, k.node) : null)) : [h('li', { class: 'muted' }, 'No records yet.')]));
    this.el.log.replaceChildren(...(this.log.length ? this.log.map((l) => h('li', { class: 'stream-item' },
      h('time', { class: 'mono muted', datetime: l.at.toISOString() }, l.at.toLocaleTimeString()),
      h('span', {}, l.text))) : [h('li', { class: 'muted' }, 'Nothing yet.')]));
  }
}
