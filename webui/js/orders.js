// "My orders": the signed-in fan's orders (GET /api/v1/me/orders) with a two-step
// cancel.

import { $, h, money, dateTime } from './dom.js';
import { describeError, list } from './errors.js';

/** OrdersView owns #view-orders. names(eventId, sectionId) gives section names. */
export class OrdersView {
  constructor(api, messages, names) {
    this.api = api;
    this.msg = messages;
    this.names = names;
    this.body = $('orders-body');
    $('orders-refresh').addEventListener('click', () => this.load());
    api.addEventListener('auth', () => { if (!this.body.closest('[hidden]')) this.load(); });
  }

  show() {
    this.load();
  }

  async load() {
    if (!this.api.signedIn) {
      this.body.replaceChildren(h('div', { class: 'empty-state' },
        h('p', {}, 'Sign in to see your orders.'),
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => document.getElementById('signin-user')?.focus() }, 'Sign in')));
      return;
    }
    this.body.setAttribute('aria-busy', 'true');
    try {
      const res = await this.api.request('GET', '/api/v1/me/orders', { auth: true });
      this.render(res.orders || []);
    } catch (err) {
      this.body.replaceChildren(h('p', { class: 'empty-state' }, describeError(err)));
    } finally {
      this.body.removeAttribute('aria-busy');
    }
  }

  render(orders) {
    if (orders.length === 0) {
      this.body.replaceChildren(h('div', { class: 'empty-state' },
        h('p', {}, "You haven't bought any tickets yet."),
        h('a', { class: 'btn btn-primary', href: '#/' }, 'Find tickets')));
      return;
    }
    const sorted = [...orders].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    this.body.replaceChildren(h('ul', { class: 'order-list' }, sorted.map((o) => this.card(o))));
  }

  card(o) {
    const what = o.seats?.length ? `Seats ${list(o.seats)}` : `${o.quantity} ${o.quantity === 1 ? 'ticket' : 'tickets'}`;
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost btn-danger btn-sm' }, 'Cancel order');
    let armed = false;
    cancel.addEventListener('click', async () => {
      if (!armed) {
        armed = true;
        cancel.textContent = 'Yes, cancel it';
        cancel.classList.add('armed');
        setTimeout(() => { if (armed && cancel.isConnected) { armed = false; cancel.textContent = 'Cancel order'; cancel.classList.remove('armed'); } }, 5000);
        return;
      }
      cancel.disabled = true;
      try {
        await this.api.request('POST', `/api/v1/orders/${encodeURIComponent(o.id)}/cancel`, { auth: true });
        this.msg.show('success', `Order ${o.id} is cancelled; its seats are back on sale.`, { key: 'order' });
        this.load();
      } catch (err) {
        this.msg.show('error', describeError(err), { key: 'order' });
        cancel.disabled = false;
      }
    });
    return h('li', { class: 'order-card', dataset: { order: o.id, status: o.status } },
      h('div', { class: 'order-main' },
        h('p', { class: 'order-title' }, this.names(o.event_id, o.section_id)),
        h('p', { class: 'order-seats' }, what),
        h('p', { class: 'muted small' }, h('span', { class: 'mono' }, o.id), ' · ', dateTime(o.created_at))),
      h('div', { class: 'order-side' },
        h('span', { class: `badge badge-${o.status}` }, o.status),
        h('strong', { class: 'order-total' }, money(o.total_cents, o.currency)),
        o.status === 'confirmed' ? cancel : null));
  }
}
