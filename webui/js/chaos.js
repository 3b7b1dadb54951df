// The chaos panel of the visualizer (classroom mode, admins only): kill -9, pause,
// resume, start and drain the nodes of a `ticketblitz dev` cluster, pause its broker,
// slow payments and the database (GET and POST /api/v1/admin/chaos). Each control says
// what it does and what the class should watch for. The panel stays hidden unless the
// page has an admin token and the node answers the route (classroom mode on a dev
// cluster; 404 elsewhere).

import { $, h } from './dom.js';
import { describeError } from './errors.js';

const POLL_MS = 2000;
const SLOW_MS = 500;

/** NODE_CONTROLS are the per-node buttons: the states they apply to, what they do, what to watch. */
const NODE_CONTROLS = [
  {
    action: 'kill', label: 'kill -9', states: ['running', 'paused'],
    does: 'SIGKILL: the process dies at once, without leaving the cluster.',
    watch: 'the member turns suspect then dead; its sections activate on a survivor with a higher epoch; the failover clock shows how long each was without an owner.',
  },
  {
    action: 'pause', label: 'Pause (SIGSTOP)', states: ['running'],
    does: 'SIGSTOP: the process freezes with its sections, leases and batches in hand.',
    watch: 'past failure detection the others take its sections; resumed, its late batches are fenced (the Fenced counter) and it stops them.',
  },
  {
    action: 'resume', label: 'Resume (SIGCONT)', states: ['paused'],
    does: 'SIGCONT: the frozen process carries on where it stopped.',
    watch: 'a zombie that writes with an old epoch is fenced, never sells a seat twice; the invariants stay green.',
  },
  {
    action: 'start', label: 'Start', states: ['killed', 'exited'],
    does: 'starts the node again; it joins the running members.',
    watch: 'a member join; sections that hash to it move there on their next activation.',
  },
  {
    action: 'drain', label: 'Drain', states: ['running'],
    does: 'POST /api/v1/cluster/drain on the node: it hands its sections over and leaves.',
    watch: 'a clean leave: sections move without a failover wait and nothing is fenced.',
  },
];

/** SWITCHES are the cluster-wide controls. */
const SWITCHES = [
  {
    id: 'broker', on: 'broker-pause', off: 'broker-resume', label: 'Pause the broker',
    isOn: (st) => st.broker.paused,
    now: () => 'Now: the broker is paused; produce and fetch fail.',
    does: 'the event broker fails every produce and fetch until resumed.',
    watch: 'sales go on (the database is the record); the outbox lag grows, Kafka records stop, then catch up in order.',
  },
  {
    id: 'payments', on: 'slow-payments', off: 'slow-payments', label: `Slow payments (+${SLOW_MS} ms)`, delay: true,
    isOn: (st) => st.switches.payment_delay_ms > 0,
    now: (st) => `Now: every charge takes ${st.switches.payment_delay_ms} ms more.`,
    does: `every charge takes ${SLOW_MS} ms more, on every node.`,
    watch: 'confirms slow down while holds stay fast: payment happens outside the section\'s mailbox.',
  },
  {
    id: 'database', on: 'slow-database', off: 'slow-database', label: `Slow the database (+${SLOW_MS} ms)`, delay: true,
    isOn: (st) => st.switches.store_delay_ms > 0,
    now: (st) => `Now: every batch commit waits ${st.switches.store_delay_ms} ms more.`,
    does: `every batch commit waits ${SLOW_MS} ms more, on every node.`,
    watch: 'batch latency jumps, batches grow (group commit takes more decisions per write) and mailboxes deepen.',
  },
];

/** ChaosPanel owns #chaos-panel. */
export class ChaosPanel {
  constructor(api, messages) {
    this.api = api;
    this.msg = messages;
    this.timer = 0;
    this.visible = false;
    this.busy = false;
    this.el = { panel: $('chaos-panel'), nodes: $('chaos-nodes'), switches: $('chaos-switches') };
  }

  show() {
    this.visible = true;
    this.poll();
  }

  hide() {
    this.visible = false;
    clearTimeout(this.timer);
  }

  async poll() {
    clearTimeout(this.timer);
    if (!this.visible) return;
    if (!this.api.adminToken) {
      this.el.panel.hidden = true;
    } else {
      try {
        this.render(await this.api.request('GET', '/api/v1/admin/chaos', { admin: true }));
      } catch {
        this.el.panel.hidden = true; // not classroom mode, not a dev cluster, or not an admin
      }
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async act(body) {
    if (this.busy) return;
    this.busy = true;
    try {
      const st = await this.api.request('POST', '/api/v1/admin/chaos', { body, admin: true });
      this.msg.show('info', `Fault injected: ${body.action}${body.node ? ` ${body.node}` : ''}.`, { key: 'chaos' });
      this.render(st);
    } catch (err) {
      this.msg.show('error', `The fault was not injected. ${describeError(err)}`, { key: 'chaos' });
    } finally {
      this.busy = false;
    }
  }

  render(st) {
    this.el.panel.hidden = false;
    this.el.nodes.replaceChildren(...st.nodes.map((n) => h('li', { class: 'chaos-node', dataset: { node: n.name, state: n.state } },
      h('div', { class: 'node-head' },
        h('strong', { class: 'mono' }, n.name),
        h('span', { class: 'badge chaos-state' }, n.state),
        n.pid ? h('span', { class: 'muted small mono' }, `pid ${n.pid}`) : null),
      h('div', { class: 'chaos-buttons' }, NODE_CONTROLS.map((c) => h('button', {
        type: 'button', class: 'btn btn-ghost', dataset: { action: c.action },
        disabled: !c.states.includes(n.state), title: `${c.does} Watch: ${c.watch}`,
        onclick: () => this.act({ action: c.action, node: n.name }),
      }, c.label))))),
    h('li', { class: 'chaos-node' }, h('button', {
      type: 'button', class: 'btn btn-ghost', dataset: { action: 'start-new' },
      onclick: () => this.act({ action: 'start' }),
    }, 'Start a new node')));
    this.el.switches.replaceChildren(...SWITCHES.map((s) => {
      const on = s.isOn(st);
      const action = on ? s.off : s.on;
      const body = s.delay ? { action, delay_ms: on ? 0 : SLOW_MS } : { action };
      return h('li', { class: 'chaos-switch', dataset: { switch: s.id, state: on ? 'on' : 'off' } },
        h('button', { type: 'button', class: 'btn btn-ghost', 'aria-pressed': on ? 'true' : 'false', onclick: () => this.act(body) },
          on ? `Undo: ${s.label}` : s.label),
        on ? h('p', { class: 'small chaos-now' }, h('span', { class: 'badge tx-retry' }, 'on'), ' ', s.now(st)) : null,
        h('p', { class: 'small' }, h('strong', {}, 'Does: '), s.does),
        h('p', { class: 'small muted' }, h('strong', {}, 'Watch: '), s.watch));
    }));
  }
}

/** controlHelp lists what each node control does and what to watch, for the panel's legend. */
export function controlHelp() {
  return NODE_CONTROLS.map((c) => h('li', { class: 'small' }, h('strong', {}, `${c.label}: `), c.does, ' ', h('span', { class: 'muted' }, `Watch: ${c.watch}`)));
}
