// The section view: click a section anywhere in the visualizer (an element carrying
// data-section="<event>/<section>") to open a panel that polls the mailbox inspector
// (GET /api/v1/admin/sections/{event}/{section}) about every 500 ms and shows the live
// actor: its node, epoch and version, whether it is paused, its mailbox (depth and the
// commands a paused section queued), the batch being written and the next one, active
// holds and decisions. In the classroom it offers Pause, Step and Resume. The inspector
// needs an admin token: the one the flash-sale panel keeps, or one pasted here.

import { $, h } from './dom.js';

const POLL_MS = 500;

/** SectionView owns #section-view. */
export class SectionView {
  constructor(api, root) {
    this.api = api;
    this.section = '';
    this.timer = 0;
    this.classroom = null; // unknown until the inspector answers
    this.el = {
      panel: $('section-view'), title: $('sv-title'), body: $('sv-body'), note: $('sv-note'),
      tokenForm: $('sv-token-form'), token: $('sv-token'), controls: $('sv-controls'),
      pause: $('sv-pause'), step: $('sv-step'), resume: $('sv-resume'), close: $('sv-close'),
    };
    const pick = (e) => {
      const target = e.target.closest?.('[data-section]');
      if (!target || !root.contains(target)) return;
      if (e.type === 'keydown' && e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      this.open(target.dataset.section);
    };
    // mousedown as well as click: the visualizer redraws its lists several times a
    // second, and a click whose press and release land on two renderings of the same
    // chip would otherwise be lost.
    for (const type of ['mousedown', 'click', 'keydown']) root.addEventListener(type, pick);
    this.el.close.addEventListener('click', () => this.close());
    this.el.tokenForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.api.adminToken = this.el.token.value.trim();
      this.poll();
    });
    this.el.pause.addEventListener('click', () => this.control('pause'));
    this.el.step.addEventListener('click', () => this.control('step'));
    this.el.resume.addEventListener('click', () => this.control('resume'));
  }

  path() {
    const [event, section] = this.section.split('/');
    return `/api/v1/admin/sections/${encodeURIComponent(event)}/${encodeURIComponent(section)}`;
  }

  /** open shows the panel for a section ("<event>/<section>") and starts polling it. */
  open(section) {
    if (!section || !section.includes('/')) return;
    if (section === this.section && !this.el.panel.hidden) return;
    this.section = section;
    this.el.title.textContent = `Section ${section}`;
    this.el.body.replaceChildren(h('p', { class: 'muted' }, 'Asking the section…'));
    this.el.panel.hidden = false;
    this.el.panel.dataset.open = section;
    this.poll();
  }

  close() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.section = '';
    this.el.panel.hidden = true;
  }

  /** hide stops polling while the visualizer is not shown. */
  hide() { this.close(); }

  async poll() {
    clearTimeout(this.timer);
    if (!this.section) return;
    const section = this.section;
    if (!this.api.adminToken) {
      this.el.tokenForm.hidden = false;
      this.setNote('The inspector needs an admin token: go run ./cmd/ticketblitz token --user root --role admin');
      return;
    }
    try {
      const s = await this.api.once('GET', this.path(), { admin: true });
      if (section !== this.section) return;
      this.el.tokenForm.hidden = true;
      this.render(s);
      this.classroom = s.classroom === true;
      this.setNote('');
    } catch (err) {
      if (section !== this.section) return;
      if (err.status === 401 || err.status === 403) this.el.tokenForm.hidden = false;
      this.setNote(err.code === 'NOT_RECORDED' ? 'This node runs no section actors (strategy lock or pg): there is no mailbox to inspect.'
        : `The inspector answered ${err.code}: ${err.message}`);
    }
    this.renderControls();
    if (section === this.section) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async control(op) {
    if (!this.section) return;
    const button = this.el[op];
    button.setAttribute('aria-busy', 'true');
    try {
      const s = await this.api.once('POST', `${this.path()}/${op}`, { admin: true });
      this.render(s);
      this.setNote(op === 'step' ? 'Stepped: one command decided and committed.' : '');
    } catch (err) {
      this.setNote(`${op} answered ${err.code}: ${err.message}`);
    } finally {
      button.removeAttribute('aria-busy');
    }
  }

  setNote(text) {
    this.el.note.textContent = text;
    this.el.note.hidden = !text;
  }

  renderControls() {
    this.el.controls.hidden = this.classroom !== true;
    const paused = this.el.panel.dataset.paused === 'true';
    this.el.pause.disabled = paused;
    this.el.step.disabled = !paused;
    this.el.resume.disabled = !paused;
  }

  render(s) {
    this.el.panel.dataset.paused = String(!!s.paused);
    const row = (label, id, value) => h('div', {}, h('dt', {}, label), h('dd', { id, class: 'mono' }, String(value)));
    const msgs = s.mailbox?.messages || [];
    this.el.body.replaceChildren(
      h('p', {}, s.paused ? h('span', { id: 'sv-paused', class: 'badge badge-paused' }, 'paused: deciding nothing')
        : h('span', { id: 'sv-paused', class: 'badge' }, 'running')),
      h('dl', { class: 'flash-numbers' },
        row('Node', 'sv-node', s.node),
        row('Epoch', 'sv-epoch', s.activation?.epoch ?? ''),
        row('Version', 'sv-version', s.activation?.version ?? ''),
        row('Mailbox', 'sv-depth', s.mailbox?.depth ?? 0),
        row('Writing', 'sv-writing', s.batch?.writing ?? 0),
        row('Next batch', 'sv-next', s.batch?.next ?? 0),
        row('Active holds', 'sv-holds', s.holds_active),
        row('Decisions', 'sv-decisions', s.decisions_total)),
      h('p', { class: 'muted small' }, `Active since ${s.activation?.since ? new Date(s.activation.since).toLocaleTimeString() : '?'}`),
      h('h3', { class: 'panel-subtitle' }, 'Queued commands'),
      h('ol', { id: 'sv-messages', class: 'stream' }, msgs.length
        ? msgs.map((m) => h('li', { class: 'stream-item', dataset: { type: m.type } },
          h('strong', {}, m.type), h('span', { class: 'mono' }, m.user_id || '—'), h('span', { class: 'muted' }, `${(m.age_ms / 1000).toFixed(1)} s`)))
        : [h('li', { class: 'muted' }, s.paused ? 'Nothing queued yet.' : 'Only a paused section lists what waits: its commands are decided as they come.')]));
    this.renderControls();
  }
}
