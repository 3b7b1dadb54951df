// Live seat updates for one event over /ws/events/{event_id}: a snapshot, then ordered
// deltas per section. A gap in a section's versions asks for a re-fetch. When the
// websocket is unavailable the feed polls instead (every 2 s) and keeps trying to
// reconnect with backoff.

/** POLL_MS is how often the seat map is re-fetched while live updates are unavailable. */
export const POLL_MS = 2000;

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];

/** wsURL turns a path into a websocket URL on this page's host. */
export function wsURL(path) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${path}`;
}

/**
 * EventFeed follows one event. handlers:
 *   section(state)    a whole section: {section_id, version, seats?|capacity...} (snapshot)
 *   seats(msg)        a "seats" delta to apply (msg.changes)
 *   capacity(msg)     a "capacity" delta
 *   refetch(id)       the section's versions jumped: fetch its seat map again
 *   poll()            live updates are unavailable: fetch what is on screen now
 *   status(state)     "connecting" | "live" | "polling"
 */
export class EventFeed {
  constructor(eventId, handlers) {
    this.eventId = eventId;
    this.h = handlers;
    this.versions = new Map();
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.pollTimer = 0;
    this.retryTimer = 0;
    this.state = '';
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pollTimer);
    this.pollTimer = 0;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
  }

  /**
   * accept tells the feed about a seat map fetched over HTTP. It returns true when the
   * map is at least as new as what the feed has seen, so the caller should use it.
   */
  accept(sectionId, version) {
    const known = this.versions.get(sectionId);
    if (known !== undefined && version < known) return false;
    this.versions.set(sectionId, version);
    return true;
  }

  setStatus(state) {
    if (state === this.state) return;
    this.state = state;
    this.h.status?.(state);
  }

  connect() {
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 ? 'connecting' : this.state || 'connecting');
    let ws;
    try {
      ws = new WebSocket(wsURL(`/ws/events/${encodeURIComponent(this.eventId)}`));
    } catch {
      this.fail();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.stopPolling();
      this.setStatus('live');
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.handle(msg);
    };
    ws.onclose = () => {
      this.ws = null;
      if (opened) this.attempt = 0;
      this.fail();
    };
  }

  fail() {
    if (this.stopped) return;
    this.setStatus('polling');
    this.startPolling();
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    const jitter = delay * 0.2 * Math.random();
    this.retryTimer = setTimeout(() => this.connect(), delay + jitter);
  }

  startPolling() {
    if (this.pollTimer) return;
    this.h.poll?.();
    this.pollTimer = setInterval(() => this.h.poll?.(), POLL_MS);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = 0;
  }

  handle(msg) {
    if (msg.event_id && msg.event_id !== this.eventId) return;
    switch (msg.type) {
      case 'snapshot':
        for (const s of msg.sections || []) {
          const known = this.versions.get(s.section_id);
          if (known !== undefined && s.version < known) continue; // an HTTP read was newer
          this.versions.set(s.section_id, s.version);
          this.h.section?.(s);
        }
        break;
      case 'seats':
      case 'capacity': {
        const id = msg.section_id;
        const known = this.versions.get(id);
        if (known !== undefined && msg.version <= known) return; // already seen
        this.versions.set(id, msg.version);
        if (msg.type === 'seats') this.h.seats?.(msg);
        else this.h.capacity?.(msg);
        // A jump means deltas were missed: the delta itself is still the newest word on
        // its seats, but the others need the whole map again.
        if (known !== undefined && msg.version > known + 1) this.h.refetch?.(id);
        break;
      }
      default:
    }
  }
}
