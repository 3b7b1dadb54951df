// The seat map: a reserved section drawn on one <canvas>, smooth at thousands of seats
// (one draw per animation frame, only when something changed; hit-testing is grid
// arithmetic). Seats differ by shape and pattern as well as colour: available seats are
// outlined, selected ones carry a check mark, yours a ring, held ones are hatched and
// sold ones crossed. Accessible seats have a corner mark. The canvas is a keyboard
// widget: arrow keys move a focus cursor, Space or Enter toggles, Home/End jump within a
// row, Page Up/Down jump five rows.

const MIN_CELL = 6;
const MAX_CELL = 40;
const LABEL_W = 22;

const COLOR_VARS = [
  'seat-available', 'seat-available-bg', 'seat-selected', 'seat-mine', 'seat-held',
  'seat-held-bg', 'seat-sold', 'seat-sold-mark', 'seat-accessible', 'seat-mark',
  'stage-bg', 'stage-fg', 'map-label', 'focus-outer', 'focus-inner', 'hover',
];

/** statusWord is the status as people read it. */
export function statusWord(status) {
  return { available: 'Available', held: 'Held', sold: 'Sold' }[status] || status;
}

/**
 * SeatMap draws one section and reports what the person does with it.
 * options: onToggle(seat), onFocus(seat), describe(seat) → string
 */
export class SeatMap {
  constructor(canvas, scroller, tooltip, options = {}) {
    this.canvas = canvas;
    this.scroller = scroller;
    this.tooltip = tooltip;
    this.opts = options;
    this.ctx = canvas.getContext('2d');
    this.rows = [];
    this.byId = new Map();
    this.maxCols = 0;
    this.selected = new Set();
    this.mine = new Set();
    this.cursor = { r: 0, i: 0 };
    this.hover = null;
    this.zoom = 1;
    this.frame = 0;
    this.colors = {};
    this.L = { cell: 12, x0: 0, top: 0, width: 0, height: 0 };

    this.readColors();
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.readColors();
      this.invalidate();
    });
    new ResizeObserver(() => this.relayout()).observe(scroller);

    canvas.addEventListener('keydown', (e) => this.onKey(e));
    canvas.addEventListener('focus', () => { this.invalidate(); this.focusChanged(); });
    canvas.addEventListener('blur', () => this.invalidate());
    canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    canvas.addEventListener('pointerleave', () => this.setHover(null));
    canvas.addEventListener('click', (e) => this.onClick(e));
  }

  readColors() {
    const cs = getComputedStyle(this.canvas);
    for (const name of COLOR_VARS) this.colors[name] = cs.getPropertyValue(`--${name}`).trim() || '#888';
    this.font = cs.fontFamily || 'system-ui, sans-serif';
  }

  /** setSeats replaces the whole section (a seat map from the API). */
  setSeats(seats) {
    const focusedId = this.focused()?.id;
    const rows = [];
    const rowOf = new Map();
    this.byId = new Map();
    for (const s of seats) {
      let row = rowOf.get(s.row);
      if (!row) {
        row = { label: s.row, seats: [] };
        rowOf.set(s.row, row);
        rows.push(row);
      }
      const seat = { id: s.id, row: s.row, number: s.number, status: s.status, accessible: !!s.accessible };
      row.seats.push(seat);
      this.byId.set(seat.id, seat);
    }
    this.maxCols = 0;
    rows.forEach((row, r) => {
      row.seats.sort((a, b) => a.number - b.number);
      row.seats.forEach((seat, i) => { seat.r = r; seat.i = i; });
      this.maxCols = Math.max(this.maxCols, row.seats.length);
    });
    for (const row of rows) row.offset = (this.maxCols - row.seats.length) / 2;
    this.rows = rows;
    this.canvas.dataset.seats = String(this.byId.size);
    const keep = focusedId && this.byId.get(focusedId);
    this.cursor = keep ? { r: keep.r, i: keep.i } : { r: 0, i: 0 };
    this.hover = null;
    this.relayout();
  }

  /** setStatuses applies {id,status} changes and returns the seats whose status changed. */
  setStatuses(changes) {
    const changed = [];
    for (const c of changes) {
      const seat = this.byId.get(c.id);
      if (seat && seat.status !== c.status) {
        seat.status = c.status;
        changed.push(seat);
      }
    }
    if (changed.length) {
      this.invalidate();
      const f = this.focused();
      if (f && changed.includes(f)) this.opts.onFocus?.(f, { statusChanged: true });
      if (this.hover && changed.includes(this.hover)) this.showTooltip(this.hover);
    }
    return changed;
  }

  setSelected(ids) { this.selected = new Set(ids); this.invalidate(); }
  setMine(ids) { this.mine = new Set(ids); this.invalidate(); }
  seat(id) { return this.byId.get(id); }
  seats() { return [...this.byId.values()]; }
  focused() { return this.rows[this.cursor.r]?.seats[this.cursor.i]; }

  setZoom(z) {
    this.zoom = Math.min(4, Math.max(1, z));
    this.relayout();
    this.scrollToCursor();
  }

  relayout() {
    const avail = Math.max(200, this.scroller.clientWidth);
    const cols = Math.max(1, this.maxCols);
    const fit = Math.min(MAX_CELL, Math.max(MIN_CELL, Math.floor(((avail - 2 * LABEL_W) / cols) * 4) / 4));
    const cell = Math.min(MAX_CELL * 2, fit * this.zoom);
    const seatsW = cols * cell;
    const width = Math.max(avail, seatsW + 2 * LABEL_W);
    const stageH = Math.max(30, Math.min(48, cell * 2.2));
    const height = stageH + 14 + this.rows.length * cell + 6;
    this.L = { cell, x0: (width - seatsW) / 2, top: stageH + 14, width, height, stageH, seatsW };
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.dpr = dpr;
    this.draw();
  }

  invalidate() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  seatRect(seat) {
    const { cell, x0, top } = this.L;
    const row = this.rows[seat.r];
    return { x: x0 + (row.offset + seat.i) * cell, y: top + seat.r * cell, size: cell };
  }

  draw() {
    const { ctx, L, colors: C } = this;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, L.width, L.height);
    if (this.rows.length === 0) return;

    // Stage
    const stageW = Math.min(L.seatsW * 0.6, 520);
    const sx = (L.width - stageW) / 2;
    ctx.fillStyle = C['stage-bg'];
    roundRect(ctx, sx, 4, stageW, L.stageH - 4, 10);
    ctx.fill();
    ctx.fillStyle = C['stage-fg'];
    ctx.font = `600 ${Math.round(Math.min(14, L.stageH * 0.38))}px ${this.font}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('STAGE', L.width / 2, 4 + (L.stageH - 4) / 2);

    // Row labels
    const cell = L.cell;
    if (cell >= 9) {
      ctx.fillStyle = C['map-label'];
      ctx.font = `500 ${Math.round(Math.min(12, cell * 0.62))}px ${this.font}`;
      this.rows.forEach((row, r) => {
        const y = L.top + r * cell + cell / 2;
        const left = L.x0 + row.offset * cell;
        const right = left + row.seats.length * cell;
        ctx.fillText(row.label, left - LABEL_W / 2, y);
        ctx.fillText(row.label, right + LABEL_W / 2, y);
      });
    }

    // Seats
    const pad = Math.max(1, cell * 0.12);
    const size = cell - 2 * pad;
    const radius = Math.min(5, size * 0.3);
    const lw = Math.max(1, Math.min(2, size * 0.12));
    for (const row of this.rows) {
      for (const seat of row.seats) {
        const { x, y } = this.seatRect(seat);
        this.drawSeat(seat, x + pad, y + pad, size, radius, lw);
      }
    }

    // Hover and focus rings
    if (this.hover) {
      const { x, y } = this.seatRect(this.hover);
      ctx.strokeStyle = C.hover;
      ctx.lineWidth = 1.5;
      roundRect(ctx, x + 0.75, y + 0.75, cell - 1.5, cell - 1.5, radius + 1);
      ctx.stroke();
    }
    const f = this.focused();
    if (f && document.activeElement === this.canvas) {
      const { x, y } = this.seatRect(f);
      const grow = Math.max(2, cell * 0.12);
      ctx.lineWidth = 3;
      ctx.strokeStyle = C['focus-outer'];
      roundRect(ctx, x - grow + 1.5, y - grow + 1.5, cell + 2 * grow - 3, cell + 2 * grow - 3, radius + 3);
      ctx.stroke();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = C['focus-inner'];
      roundRect(ctx, x - grow + 3.75, y - grow + 3.75, cell + 2 * grow - 7.5, cell + 2 * grow - 7.5, radius + 1);
      ctx.stroke();
    }
  }

  drawSeat(seat, x, y, s, radius, lw) {
    const { ctx, colors: C } = this;
    const status = seat.status;
    const mine = this.mine.has(seat.id) && status !== 'available';
    const selected = !mine && this.selected.has(seat.id) && status === 'available';
    const detail = s >= 7;
    if (mine) {
      ctx.fillStyle = C['seat-mine'];
      roundRect(ctx, x, y, s, s, radius);
      ctx.fill();
      if (detail) {
        ctx.strokeStyle = C['seat-mark'];
        ctx.lineWidth = Math.max(1, s * 0.12);
        ctx.beginPath();
        ctx.arc(x + s / 2, y + s / 2, s * 0.22, 0, Math.PI * 2);
        ctx.stroke();
      }
    } else if (selected) {
      ctx.fillStyle = C['seat-selected'];
      roundRect(ctx, x, y, s, s, radius);
      ctx.fill();
      if (detail) {
        ctx.strokeStyle = C['seat-mark'];
        ctx.lineWidth = Math.max(1.2, s * 0.14);
        ctx.lineCap = 'round';
        ctx.lineJoin = 'round';
        ctx.beginPath();
        ctx.moveTo(x + s * 0.26, y + s * 0.52);
        ctx.lineTo(x + s * 0.43, y + s * 0.69);
        ctx.lineTo(x + s * 0.75, y + s * 0.33);
        ctx.stroke();
      }
    } else if (status === 'held') {
      ctx.fillStyle = C['seat-held-bg'];
      roundRect(ctx, x, y, s, s, radius);
      ctx.fill();
      ctx.save();
      ctx.clip();
      ctx.strokeStyle = C['seat-held'];
      ctx.lineWidth = Math.max(1, s * 0.12);
      ctx.beginPath();
      for (let k = -s; k < s * 2; k += Math.max(3, s * 0.42)) {
        ctx.moveTo(x + k, y + s);
        ctx.lineTo(x + k + s, y);
      }
      ctx.stroke();
      ctx.restore();
      ctx.strokeStyle = C['seat-held'];
      ctx.lineWidth = lw;
      roundRect(ctx, x + lw / 2, y + lw / 2, s - lw, s - lw, radius);
      ctx.stroke();
    } else if (status === 'sold') {
      ctx.fillStyle = C['seat-sold'];
      roundRect(ctx, x, y, s, s, radius);
      ctx.fill();
      if (detail) {
        ctx.strokeStyle = C['seat-sold-mark'];
        ctx.lineWidth = Math.max(1, s * 0.1);
        ctx.lineCap = 'round';
        ctx.beginPath();
        ctx.moveTo(x + s * 0.3, y + s * 0.3);
        ctx.lineTo(x + s * 0.7, y + s * 0.7);
        ctx.moveTo(x + s * 0.7, y + s * 0.3);
        ctx.lineTo(x + s * 0.3, y + s * 0.7);
        ctx.stroke();
      }
    } else {
      ctx.fillStyle = C['seat-available-bg'];
      roundRect(ctx, x, y, s, s, radius);
      ctx.fill();
      ctx.strokeStyle = C['seat-available'];
      ctx.lineWidth = lw;
      roundRect(ctx, x + lw / 2, y + lw / 2, s - lw, s - lw, radius);
      ctx.stroke();
    }
    if (seat.accessible) {
      const t = Math.max(3, s * 0.42);
      ctx.fillStyle = C['seat-accessible'];
      ctx.beginPath();
      ctx.moveTo(x + s, y + s);
      ctx.lineTo(x + s - t, y + s);
      ctx.lineTo(x + s, y + s - t);
      ctx.closePath();
      ctx.fill();
    }
  }

  seatAt(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const px = clientX - rect.left;
    const py = clientY - rect.top;
    const { cell, x0, top } = this.L;
    const r = Math.floor((py - top) / cell);
    const row = this.rows[r];
    if (!row) return null;
    const i = Math.floor((px - x0) / cell - row.offset);
    return row.seats[i] || null;
  }

  onPointerMove(e) {
    this.setHover(this.seatAt(e.clientX, e.clientY), e);
  }

  setHover(seat) {
    if (seat !== this.hover) {
      this.hover = seat;
      this.invalidate();
    }
    this.canvas.style.cursor = seat && (seat.status === 'available' || this.selected.has(seat.id)) ? 'pointer' : 'default';
    if (seat) this.showTooltip(seat);
    else this.tooltip.hidden = true;
  }

  showTooltip(seat) {
    const { x, y, size } = this.seatRect(seat);
    this.tooltip.textContent = this.describe(seat);
    this.tooltip.hidden = false;
    // The scroller is the tooltip's positioned parent; keep the tip inside it.
    const tipW = this.tooltip.offsetWidth;
    const left = Math.min(Math.max(4, x + size / 2 - tipW / 2), this.L.width - tipW - 4);
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${Math.max(0, y - this.tooltip.offsetHeight - 6)}px`;
  }

  describe(seat) {
    return this.opts.describe ? this.opts.describe(seat) : `${seat.id} · ${statusWord(seat.status)}`;
  }

  onClick(e) {
    const seat = this.seatAt(e.clientX, e.clientY);
    if (!seat) return;
    this.cursor = { r: seat.r, i: seat.i };
    this.opts.onToggle?.(seat);
    this.focusChanged();
    this.invalidate();
  }

  onKey(e) {
    if (this.rows.length === 0) return;
    const { r, i } = this.cursor;
    const move = (nr, ni) => {
      nr = Math.min(this.rows.length - 1, Math.max(0, nr));
      const row = this.rows[nr];
      if (nr !== r) {
        // Keep the column: the seat physically above or below.
        const col = this.rows[r].offset + i;
        ni = Math.round(col - row.offset);
      }
      ni = Math.min(row.seats.length - 1, Math.max(0, ni));
      this.cursor = { r: nr, i: ni };
      this.invalidate();
      this.scrollToCursor();
      this.focusChanged();
    };
    switch (e.key) {
      case 'ArrowLeft': move(r, i - 1); break;
      case 'ArrowRight': move(r, i + 1); break;
      case 'ArrowUp': move(r - 1, i); break;
      case 'ArrowDown': move(r + 1, i); break;
      case 'Home': move(r, 0); break;
      case 'End': move(r, this.rows[r].seats.length - 1); break;
      case 'PageUp': move(r - 5, i); break;
      case 'PageDown': move(r + 5, i); break;
      case ' ':
      case 'Enter': {
        const seat = this.focused();
        if (seat) this.opts.onToggle?.(seat);
        this.invalidate();
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }

  focusChanged() {
    const seat = this.focused();
    if (seat) this.opts.onFocus?.(seat, { statusChanged: false });
  }

  scrollToCursor() {
    const seat = this.focused();
    if (!seat) return;
    const { x, size } = this.seatRect(seat);
    const sc = this.scroller;
    if (x < sc.scrollLeft + 8) sc.scrollLeft = x - 8;
    else if (x + size > sc.scrollLeft + sc.clientWidth - 8) sc.scrollLeft = x + size - sc.clientWidth + 8;
  }
}

function roundRect(ctx, x, y, w, h, r) {
  const rr = Math.max(0, Math.min(r, w / 2, h / 2));
  ctx.beginPath();
  ctx.moveTo(x + rr, y);
  ctx.arcTo(x + w, y, x + w, y + h, rr);
  ctx.arcTo(x + w, y + h, x, y + h, rr);
  ctx.arcTo(x, y + h, x, y, rr);
  ctx.arcTo(x, y, x + w, y, rr);
  ctx.closePath();
}
