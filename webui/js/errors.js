// Human sentences for every error code of docs/api.md. The table is the one place the page
// turns an ApiError into words.

/** list joins seat ids the way people read them: "A-1, A-2 and A-3". */
export function list(items) {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function seconds(n) {
  const s = Math.max(1, Math.round(n || 1));
  return s === 1 ? '1 second' : `${s} seconds`;
}

function fieldsOf(details) {
  const names = Object.keys(details || {}).filter((k) => k !== 'seats');
  if (names.length === 0) return '';
  return ` (${names.map((n) => `${n}: ${details[n]}`).join('; ')})`;
}

/** messages maps each error code to a function of (error, context) returning a sentence. */
export const messages = {
  VALIDATION_FAILED: (e) => `Something in that request isn't valid${fieldsOf(e.details)}.`,
  UNAUTHENTICATED: () => 'Please sign in — your session is missing or has expired.',
  PAYMENT_DECLINED: () => 'Your card was declined. Your seats are still held: try another card before the timer runs out.',
  FORBIDDEN: () => "That isn't yours, or it needs an admin.",
  NOT_FOUND: () => "We couldn't find that. It may have been removed.",
  SEAT_UNAVAILABLE: (e) => {
    const seats = Array.isArray(e.details?.seats) ? e.details.seats : [];
    if (seats.length === 0) return 'Some of those seats were just taken. Please pick others.';
    const verb = seats.length === 1 ? 'was' : 'were';
    return `Sorry, ${seats.length === 1 ? 'seat' : 'seats'} ${list(seats)} ${verb} just taken. Please pick others.`;
  },
  SOLD_OUT: () => 'Not enough seats are left for that quantity. Try fewer tickets or another section.',
  HOLD_NOT_ACTIVE: () => 'This hold is no longer active: it was already released, confirmed or cancelled.',
  IDEMPOTENCY_CONFLICT: () => 'This conflicts with an earlier request sent with the same key. Please try again.',
  HOLD_EXPIRED: () => 'Your hold expired and the seats went back on sale.',
  LIMIT_EXCEEDED: (e, ctx) => ctx?.maxTickets
    ? `That would take you over the limit of ${ctx.maxTickets} tickets per fan for this event.`
    : 'That would take you over the ticket limit per fan for this event.',
  QUEUE_REQUIRED: () => "This sale has a waiting room: wait for your turn in the queue, then hold your seats before your pass runs out.",
  RATE_LIMITED: (e) => `You're going a little fast. Please try again in ${seconds(e.retryAfter)}.`,
  UNAVAILABLE: (e) => (e.exhausted
    ? 'The service is still busy (a section may be moving) after a few automatic retries. Please try again in a moment.'
    : `The service is busy for a moment (a section may be moving). Retrying in ${seconds(e.retryAfter)}…`),
  NETWORK: () => "We can't reach the server. Check your connection; we'll keep trying.",
};

/** describeError returns the sentence for err, with the server's message as a fallback. */
export function describeError(err, ctx = {}) {
  const f = messages[err?.code];
  if (f) return f(err, ctx);
  return `Something went wrong${err?.message ? `: ${err.message}` : ''}.`;
}
