// Tiny hand-drawn canvas charts for the visualizer: a line chart over the last minute and
// a lane timeline of marks (batches, lease actions) with hover details.

/** cssVars reads custom properties from an element's computed style. */
export function cssVars(el, names) {
  const cs = getComputedStyle(el);
  const out = {};
  for (const n of names) out[n] = cs.getPropertyValue(`--${n}`).trim() || '#888';
  out.font = cs.fontFamily || 'system-ui, sans-serif';
  return out;
}

/** fitCanvas sizes a canvas to its parent's width and the given CSS height (sharp on HiDPI). */
export function fitCanvas(canvas, height) {
  const width = Math.max(120, canvas.parentElement.clientWidth);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, width, height };
}

/** niceMax rounds a maximum up to 1, 2 or 5 times a power of ten. */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (v >= 10 || v === 0) return String(Math.round(v));
  return String(Number(v.toFixed(2)));
}

const CHART_VARS = ['grid', 'axis-text', 'line-1', 'line-2', 'panel-bg'];

/**
 * LineChart draws series of per-second values, oldest first. series: [{name, color var}].
 */
export class LineChart {
  constructor(canvas, { series, unit = '', height = 150 }) {
    this.canvas = canvas;
    this.series = series;
    this.unit = unit;
    this.height = height;
    this.colors = cssVars(canvas, CHART_VARS);
  }

  refreshColors() { this.colors = cssVars(this.canvas, CHART_VARS); }

  draw(values) {
    const { ctx, width, height } = fitCanvas(this.canvas, this.height);
    const C = this.colors;
    ctx.clearRect(0, 0, width, height);
    const padL = 40;
    const padR = 10;
    const padT = 10;
    const padB = 20;
    const w = width - padL - padR;
    const hgt = height - padT - padB;
    const n = values[0]?.length || 0;
    let max = 0;
    for (const s of values) for (const v of s) if (v > max) max = v;
    max = niceMax(max);
    // 1, 5 and 10 split into fifths, 2 into quarters: round numbers on every line.
    const lead = max / 10 ** Math.floor(Math.log10(max));
    const steps = lead === 2 ? 4 : 5;

    ctx.font = `11px ${C.font}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.lineWidth = 1;
    for (let k = 0; k <= steps; k++) {
      const y = padT + hgt - (k / steps) * hgt;
      ctx.strokeStyle = C.grid;
      ctx.beginPath();
      ctx.moveTo(padL, Math.round(y) + 0.5);
      ctx.lineTo(padL + w, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillStyle = C['axis-text'];
      ctx.fillText(fmt((k / steps) * max), padL - 6, y);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('−60 s', padL, height - 4);
    ctx.textAlign = 'right';
    ctx.fillText('now', padL + w, height - 4);
    if (n < 2) return;

    values.forEach((s, si) => {
      const color = C[this.series[si].color] || C['line-1'];
      const xy = (v, i) => [padL + (i / (n - 1)) * w, padT + hgt - (v / max) * hgt];
      if (si === 0) {
        ctx.beginPath();
        s.forEach((v, i) => { const [x, y] = xy(v, i); if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
        ctx.lineTo(padL + w, padT + hgt);
        ctx.lineTo(padL, padT + hgt);
        ctx.closePath();
        ctx.globalAlpha = 0.12;
        ctx.fillStyle = color;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.beginPath();
      s.forEach((v, i) => { const [x, y] = xy(v, i); if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      if (si > 0) ctx.setLineDash([4, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
    });
  }
}

const TIMELINE_VARS = ['grid', 'axis-text', 'commit', 'rollback', 'fenced', 'acquire', 'renew',
  'release', 'contended', 'lose', 'lane-bg'];

/**
 * Timeline draws marks on one lane per actor over a sliding window. Each item has t (ms),
 * lane (string), color (a CSS variable name), r (radius), label (hover text), and
 * optionally shape (dot, tick, diamond) and loud (drawn on top).
 */
export class Timeline {
  constructor(canvas, tooltip, { windowMs = 60000, laneHeight = 30, maxItems = 4000, empty = '' } = {}) {
    this.canvas = canvas;
    this.empty = empty;
    this.tooltip = tooltip;
    this.windowMs = windowMs;
    this.laneHeight = laneHeight;
    this.maxItems = maxItems;
    this.items = [];
    this.lanes = [];
    this.colors = cssVars(canvas, TIMELINE_VARS);
    this.placed = [];
    canvas.addEventListener('pointermove', (e) => this.onMove(e));
    canvas.addEventListener('pointerleave', () => { this.tooltip.hidden = true; });
  }

  refreshColors() { this.colors = cssVars(this.canvas, TIMELINE_VARS); }

  add(item) {
    if (!this.lanes.includes(item.lane)) this.lanes.push(item.lane);
    this.items.push(item);
    if (this.items.length > this.maxItems) this.items.splice(0, this.items.length - this.maxItems);
  }

  draw(now = Date.now()) {
    const lanes = Math.max(1, this.lanes.length);
    const labelW = Math.min(112, Math.max(70, this.canvas.parentElement.clientWidth * 0.22));
    const height = 24 + lanes * this.laneHeight;
    const { ctx, width } = fitCanvas(this.canvas, height);
    const C = this.colors;
    ctx.clearRect(0, 0, width, height);
    const from = now - this.windowMs;
    while (this.items.length && this.items[0].t < from - 1000) this.items.shift();
    const w = width - labelW - 12;
    const xOf = (t) => labelW + ((t - from) / this.windowMs) * w;

    ctx.font = `12px ${C.font}`;
    ctx.textBaseline = 'middle';
    this.lanes.forEach((lane, i) => {
      const y = 4 + i * this.laneHeight;
      ctx.fillStyle = C['lane-bg'];
      ctx.fillRect(labelW, y + 2, w, this.laneHeight - 4);
      ctx.fillStyle = C['axis-text'];
      ctx.textAlign = 'right';
      ctx.fillText(shorten(lane, 16), labelW - 8, y + this.laneHeight / 2);
    });
    ctx.strokeStyle = C.grid;
    ctx.fillStyle = C['axis-text'];
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const every = this.windowMs > 30000 ? 10 : 5;
    for (let s = 0; s <= this.windowMs / 1000; s += every) {
      const x = Math.round(xOf(now - s * 1000)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 4);
      ctx.lineTo(x, 4 + lanes * this.laneHeight);
      ctx.stroke();
      ctx.fillText(s === 0 ? 'now' : `−${s}s`, Math.min(x, width - 16), height - 4);
    }

    this.placed = [];
    if (this.items.length === 0 && this.empty) {
      ctx.fillStyle = C['axis-text'];
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(this.empty, labelW + w / 2, 4 + this.laneHeight / 2);
    }
    // Routine marks first and translucent, so that the rare ones (a rollback, a fence,
    // a lost lease) are drawn on top, opaque and outlined, and stand out in a crowd.
    for (const pass of [false, true]) {
      for (const it of this.items) {
        if (it.t < from || !!it.loud !== pass) continue;
        const lane = this.lanes.indexOf(it.lane);
        const x = xOf(it.t);
        const y = 4 + lane * this.laneHeight + this.laneHeight / 2;
        const r = Math.min(this.laneHeight / 2 - 3, it.r);
        ctx.globalAlpha = pass ? 1 : 0.5;
        ctx.fillStyle = C[it.color] || C.commit;
        ctx.beginPath();
        if (it.shape === 'tick') ctx.rect(x - 1, y - r, 2, 2 * r);
        else if (it.shape === 'diamond') { ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath(); }
        else ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
        if (pass) {
          ctx.strokeStyle = C['lane-bg'];
          ctx.lineWidth = 1.5;
          ctx.stroke();
        }
        ctx.globalAlpha = 1;
        this.placed.push({ x, y, r: Math.max(r, 4), it });
      }
    }
  }

  onMove(e) {
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    let best = null;
    let bestD = Infinity;
    for (const p of this.placed) {
      const d = Math.hypot(p.x - px, p.y - py);
      if (d <= p.r + 3 && d < bestD) { best = p; bestD = d; }
    }
    if (!best) { this.tooltip.hidden = true; return; }
    this.tooltip.textContent = best.it.label;
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    this.tooltip.style.left = `${Math.min(Math.max(4, best.x - tw / 2), rect.width - tw - 4)}px`;
    this.tooltip.style.top = `${Math.max(0, best.y - best.r - this.tooltip.offsetHeight - 6)}px`;
  }
}

function shorten(s, n) {
  return s.length <= n ? s : `…${s.slice(-(n - 1))}`;
}
