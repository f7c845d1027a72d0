// The drawing pad: Pointer Events in, smooth black strokes on white out.
//
// Strokes are kept as point lists (not pixels) so undo is "drop the last list
// and redraw". Points are stored as fractions of the canvas width, so a stroke
// keeps its place and thickness when the canvas is resized (a phone rotated).

import { canEncodeGreyPng, encodeGreyPng, greyLevels } from "./png.js";

const INK = "#000000";
const PAPER = "#ffffff";
const MIN_STEP_CSS_PX = 0.75; // closer points add nothing but jitter
// The sent drawing's shorter side, in pixels, at most. A digit becomes 20 px of the model's 28,
// so more only costs upload and server time: a phone's 3x backing store would send a 1080 px PNG,
// which takes the server about five times as long to read as a 280 px one.
const EXPORT_SHORT_SIDE = 280;

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{brush?: number, onStrokeStart?: Function, onStrokeEnd?: Function, onChange?: Function}} options
   *   brush: pen diameter in CSS pixels; onStrokeStart / onStrokeEnd: the pen went
   *   down / up; onChange: strokes were added, undone or cleared.
   */
  constructor(canvas, { brush = 16, onStrokeStart = () => {}, onStrokeEnd = () => {}, onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.brush = brush;
    this.strokes = [];
    this.onStrokeStart = onStrokeStart;
    this.onStrokeEnd = onStrokeEnd;
    this.onChange = onChange;
    this.active = null; // { pointerId, rect, stroke } while a pen is down
    this.frame = 0;
    this.bindPointer();
    new ResizeObserver(() => this.fitBackingStore()).observe(canvas);
    this.fitBackingStore();
  }

  isEmpty() {
    return this.strokes.length === 0;
  }

  setBrush(cssPixels) {
    this.brush = cssPixels;
  }

  undo() {
    if (this.active) return; // never pull a stroke out from under the pen
    if (this.strokes.pop()) {
      this.redraw();
      this.onChange();
    }
  }

  clear() {
    this.active = null;
    const hadStrokes = this.strokes.length > 0;
    this.strokes = [];
    this.redraw();
    if (hadStrokes) this.onChange();
  }

  /**
   * The drawing as an opaque PNG Blob, with the pixel size that was sent: redrawn from its strokes
   * at no more than EXPORT_SHORT_SIDE pixels on the shorter side (never larger than the screen's).
   */
  toBlob() {
    const scale = Math.min(1, EXPORT_SHORT_SIDE / Math.min(this.canvas.width, this.canvas.height));
    return exportDrawing(this.strokes, this.canvas.width * scale, this.canvas.height * scale);
  }

  // HiDPI: the backing store has devicePixelRatio pixels per CSS pixel, so lines stay sharp.
  fitBackingStore() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.redraw();
  }

  bindPointer() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this.start(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    c.addEventListener("pointerup", (e) => this.end(e));
    c.addEventListener("pointercancel", (e) => this.end(e));
    // A long press on touch screens would otherwise open a context menu mid-stroke.
    c.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  start(e) {
    if (this.active || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    const rect = this.canvas.getBoundingClientRect();
    const stroke = { size: this.brush / rect.width, points: [] };
    this.active = { pointerId: e.pointerId, rect, stroke };
    this.strokes.push(stroke);
    this.addPoint(e);
    this.scheduleRedraw();
    this.onStrokeStart();
  }

  move(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    for (const sample of events.length ? events : [e]) this.addPoint(sample);
    this.scheduleRedraw();
  }

  end(e) {
    if (!this.active || e.pointerId !== this.active.pointerId) return;
    this.addPoint(e);
    this.active = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.redraw();
    this.onChange();
    this.onStrokeEnd();
  }

  addPoint(e) {
    const { rect, stroke } = this.active;
    const x = (e.clientX - rect.left) / rect.width;
    const y = (e.clientY - rect.top) / rect.width; // width is the unit for both axes
    const last = stroke.points[stroke.points.length - 1];
    if (last && Math.hypot(x - last.x, y - last.y) * rect.width < MIN_STEP_CSS_PX) return;
    stroke.points.push({ x, y });
  }

  scheduleRedraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.redraw();
    });
  }

  redraw() {
    paint(this.canvas, this.strokes);
  }
}

/**
 * Strokes drawn on a fresh canvas of about width x height pixels, as PNG: 8-bit grey where the
 * browser can encode it (a third of the bytes of canvas.toBlob's RGBA, and the same grey levels
 * to the server), else canvas.toBlob's PNG.
 * @returns {Promise<{blob: Blob, width: number, height: number}>}
 */
export async function exportDrawing(strokes, width, height) {
  const out = document.createElement("canvas");
  out.width = Math.max(1, Math.round(width));
  out.height = Math.max(1, Math.round(height));
  paint(out, strokes);
  const size = { width: out.width, height: out.height };
  if (canEncodeGreyPng()) {
    const image = out.getContext("2d").getImageData(0, 0, size.width, size.height);
    return { blob: await encodeGreyPng(greyLevels(image), size.width, size.height), ...size };
  }
  const blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("the drawing could not be encoded as PNG");
  return { blob, ...size };
}

/** White paper, so the exported PNG is opaque black-on-white, and the strokes at this canvas's size. */
function paint(canvas, strokes) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const stroke of strokes) drawStroke(ctx, stroke, canvas.width);
}

/** One stroke as quadratic curves through the midpoints of its samples. */
function drawStroke(ctx, stroke, scale) {
  const pts = stroke.points.map((p) => ({ x: p.x * scale, y: p.y * scale }));
  if (pts.length === 0) return;
  const width = stroke.size * scale;
  ctx.fillStyle = INK;
  ctx.strokeStyle = INK;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0].x, pts[0].y, width / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(pts[0].x, pts[0].y);
  for (let i = 1; i < pts.length - 1; i++) {
    const mid = { x: (pts[i].x + pts[i + 1].x) / 2, y: (pts[i].y + pts[i + 1].y) / 2 };
    ctx.quadraticCurveTo(pts[i].x, pts[i].y, mid.x, mid.y);
  }
  const last = pts[pts.length - 1];
  ctx.lineTo(last.x, last.y);
  ctx.stroke();
}
