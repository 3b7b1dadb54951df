// The page's entry point: sign-in in the header, and the hash routes
//   #/                               the fan view (first event, first section)
//   #/events/{event_id}[/{section}]  the fan view on that event and section
//   #/orders                         my orders
//   #/visualizer                     the visualizer

import { Api } from './api.js';
import { $, Messages } from './dom.js';
import { describeError } from './errors.js';
import { FanView } from './fan.js';
import { OrdersView } from './orders.js';
import { VisualizerView } from './visualizer.js';
import { FlashSale } from './flashsale.js';

const api = new Api();
const messages = new Messages($('messages'));
const fan = new FanView(api, messages);

/** events returns the event list, loading it once. */
async function events() {
  if (fan.events.length === 0) {
    try {
      await fan.loadEvents();
    } catch (err) {
      messages.show('error', `Couldn't load the events. ${describeError(err)}`, { key: 'events' });
    }
  }
  return fan.events;
}

const orders = new OrdersView(api, messages, (eventId, sectionId) => {
  const ev = fan.events.find((e) => e.id === eventId);
  const sec = ev?.sections.find((s) => s.id === sectionId);
  return ev ? `${ev.name} · ${sec?.name || sectionId}` : `${eventId} · ${sectionId}`;
});
const visualizer = new VisualizerView(api, messages, new FlashSale(api, messages, events));

const views = {
  fan: { el: $('view-fan'), view: fan, title: 'Tickets' },
  orders: { el: $('view-orders'), view: orders, title: 'My orders' },
  visualizer: { el: $('view-visualizer'), view: visualizer, title: 'Visualizer' },
};
let current = '';

function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'orders') return { name: 'orders' };
  if (parts[0] === 'visualizer') return { name: 'visualizer' };
  if (parts[0] === 'events') return { name: 'fan', params: { eventId: parts[1] || '', sectionId: parts[2] || '' } };
  return { name: 'fan', params: {} };
}

async function route() {
  // In-page anchors (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  const { name, params } = parseRoute(location.hash);
  if (current && current !== name) {
    views[current].view.hide?.();
    views[current].el.hidden = true;
  }
  const changed = current !== name;
  current = name;
  const v = views[name];
  v.el.hidden = false;
  document.title = `${v.title} · TicketBlitz`;
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (name === 'orders') await events();
  await v.view.show(params);
  if (changed && document.activeElement === document.body) $('main').focus({ preventScroll: true });
}

// ---- sign-in

const form = $('signin-form');
const input = $('signin-user');

function renderAccount() {
  const signedIn = api.signedIn;
  form.hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('signed-in-user').textContent = api.user;
  $('signed-in-user').title = api.user;
  $('avatar').textContent = (api.user[0] || '?').toUpperCase();
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const user = input.value.trim();
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(user)) {
    messages.show('error', 'Use 1–64 letters, digits, dots, dashes, underscores or @ for your name.', { key: 'signin' });
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    await api.signIn(user);
    messages.clear('signin');
    messages.show('success', `Welcome, ${user}! You can hold seats now.`, { key: 'signin' });
  } catch (err) {
    messages.show('error', `Couldn't sign you in. ${describeError(err)}`, { key: 'signin' });
  } finally {
    button.disabled = false;
  }
});

$('signout').addEventListener('click', () => {
  api.signOut();
  messages.show('info', 'Signed out.', { key: 'signin' });
  input.focus();
});

api.addEventListener('auth', renderAccount);

$('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  $('main').focus();
});

window.addEventListener('hashchange', route);
renderAccount();
route();
