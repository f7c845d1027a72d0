// Wiring: connects the drawing pad, uploads, the API, the result view, the
// feedback bar, the history panel and the language switch.

import { isAbort, recognize } from "./api.js";
import { DrawingPad } from "./canvas.js";
import { FeedbackBar } from "./feedback.js";
import { HistoryPanel } from "./history.js";
import { detectLanguage, onLanguageChange, setLanguage, t } from "./i18n.js";
import { ResultView, clearBoxes } from "./render.js";

const AUTO_PREDICT_MS = 400; // after the pen lifts: long enough to start the next stroke of a 4 or a 7
const FRIENDLY_STATUSES = [400, 404, 413, 415, 422, 429, 503];
const $ = (id) => document.getElementById(id);

const el = {
  layout: $("layout"),
  canvas: $("canvas"),
  canvasBoxes: $("canvas-boxes"),
  brush: $("brush"),
  brushValue: $("brush-value"),
  multi: $("multi"),
  instructions: $("draw-instructions"),
  upload: $("upload"),
  dropZone: $("drop-zone"),
  preview: $("upload-preview"),
  thumb: $("upload-thumb"),
  uploadBoxes: $("upload-boxes"),
  message: $("message"),
  lang: $("lang"),
};

// Only the newest request may show its answer: each one takes a number, and
// starting a new one aborts the previous (an older answer never overwrites a newer).
const requests = { seq: 0, controller: null, timer: 0 };
let message = null; // { key, params, detail } of the message on screen, for re-translation

const results = new ResultView();
const feedback = new FeedbackBar({ onSaved: () => historyPanel.refresh(), onError: showError });
// After "forget me" the result on screen has no history item left to correct.
const historyPanel = new HistoryPanel({ onError: showError, onForgotten: () => feedback.hide() });
const pad = new DrawingPad(el.canvas, {
  brush: Number(el.brush.value),
  onStrokeStart: () => clearTimeout(requests.timer),
  onStrokeEnd: () => schedulePrediction(),
  onChange: () => {
    clearBoxes(el.canvasBoxes); // they framed the drawing as it was
    results.hideChip();
  },
});

function schedulePrediction() {
  clearTimeout(requests.timer);
  requests.timer = setTimeout(predictDrawing, AUTO_PREDICT_MS);
}

/** Forget the pending and in-flight predictions: their answers would be stale. */
function cancelPredictions() {
  clearTimeout(requests.timer);
  requests.seq += 1;
  requests.controller?.abort();
  requests.controller = null;
}

async function predictDrawing() {
  cancelPredictions();
  if (pad.isEmpty()) {
    showResultless();
    return showMessage("msg.empty");
  }
  const seq = requests.seq;
  const { blob, width, height } = await pad.toBlob();
  if (seq !== requests.seq) return; // the drawing changed while it was being encoded
  clearBoxes(el.uploadBoxes);
  await send(blob, { source: "draw", boxes: { layer: el.canvasBoxes, width, height } });
}

async function predictFile(file) {
  cancelPredictions();
  clearBoxes(el.canvasBoxes);
  showResultless();
  const size = await showThumbnail(file);
  const boxes = size ? { layer: el.uploadBoxes, ...size } : null;
  await send(file, { source: "upload", boxes });
}

async function send(image, { source, boxes }) {
  cancelPredictions();
  const seq = requests.seq;
  const controller = (requests.controller = new AbortController());
  const multi = el.multi.checked;
  el.layout.setAttribute("aria-busy", "true");
  try {
    const result = await recognize(image, { multi, source, signal: controller.signal });
    if (seq !== requests.seq) return;
    hideMessage();
    if (multi) results.showReading(result, boxes);
    else results.showPrediction(result);
    if (source === "draw") results.showChip();
    feedback.show(result, multi ? "line" : "digit");
    historyPanel.refresh();
  } catch (error) {
    if (isAbort(error) || seq !== requests.seq) return;
    showResultless();
    showError(error);
  } finally {
    if (requests.controller === controller) requests.controller = null;
    if (seq === requests.seq) el.layout.removeAttribute("aria-busy");
  }
}

function showResultless() {
  results.reset();
  feedback.hide();
}

// ---- messages ----

function showMessage(key, { params = {}, detail = null, tone = "info" } = {}) {
  message = { key, params, detail, tone };
  renderMessage();
}

function hideMessage() {
  message = null;
  el.message.hidden = true;
  el.message.replaceChildren();
}

function renderMessage() {
  if (!message) return;
  const text = document.createElement("strong");
  text.textContent = t(message.key, message.params);
  const parts = [text];
  if (message.detail) {
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = t("msg.server_said", { detail: message.detail });
    parts.push(detail);
  }
  el.message.replaceChildren(...parts);
  el.message.dataset.tone = message.tone;
  el.message.hidden = false;
}

/** A friendly, localized sentence for a failed call, plus the server's own words. */
function showError(error) {
  if (error?.kind === "network") return showMessage("msg.network", { tone: "error" });
  const status = error?.status ?? 0;
  const key = FRIENDLY_STATUSES.includes(status) ? `msg.${status}` : status >= 500 ? "msg.5xx" : "msg.other";
  showMessage(key, { params: { status }, detail: error?.detail ?? null, tone: "error" });
}

// ---- uploads and drag-and-drop ----

let thumbUrl = null;

/** Show the uploaded image; resolves to its pixel size, or null if the browser cannot show it. */
async function showThumbnail(file) {
  if (thumbUrl) URL.revokeObjectURL(thumbUrl);
  thumbUrl = URL.createObjectURL(file);
  el.thumb.src = thumbUrl;
  el.preview.hidden = false;
  try {
    await el.thumb.decode();
    return { width: el.thumb.naturalWidth, height: el.thumb.naturalHeight };
  } catch {
    el.preview.hidden = true; // not an image the browser knows; the server will say why
    return null;
  }
}

function bindUploads() {
  el.upload.addEventListener("change", () => {
    const file = el.upload.files[0];
    if (file) predictFile(file);
  });
  // The whole page accepts a dropped image; the drop zone lights up meanwhile.
  let depth = 0;
  const setDragging = (on) => el.dropZone.classList.toggle("dragging", on);
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth += 1;
    setDragging(true);
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  document.addEventListener("dragover", (e) => {
    if (hasFiles(e)) e.preventDefault(); // allows the drop
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    setDragging(false);
    predictFile(e.dataTransfer.files[0]);
  });
}

function hasFiles(e) {
  return Array.from(e.dataTransfer?.types ?? []).includes("Files");
}

// ---- controls ----

function undo() {
  pad.undo();
  afterEdit();
}

function clear() {
  pad.clear();
  afterEdit();
}

function afterEdit() {
  cancelPredictions();
  if (pad.isEmpty()) {
    showResultless();
    hideMessage();
  } else {
    schedulePrediction();
  }
}

function setMulti(on) {
  el.layout.classList.toggle("multi", on);
  el.instructions.dataset.i18n = on ? "draw.instructions.multi" : "draw.instructions";
  el.canvas.dataset.i18nAriaLabel = on ? "canvas.label.multi" : "canvas.label";
  el.instructions.textContent = t(el.instructions.dataset.i18n);
  el.canvas.setAttribute("aria-label", t(el.canvas.dataset.i18nAriaLabel));
  pad.clear();
  cancelPredictions();
  showResultless();
  hideMessage();
  clearBoxes(el.canvasBoxes, el.uploadBoxes);
}

function isTextField(target) {
  return target instanceof HTMLElement && (target.matches("input:not([type=range]):not([type=checkbox]), textarea, select") || target.isContentEditable);
}

function bindControls() {
  $("predict").addEventListener("click", predictDrawing);
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clear);
  el.brush.addEventListener("input", () => {
    pad.setBrush(Number(el.brush.value));
    el.brushValue.textContent = el.brush.value;
  });
  el.multi.addEventListener("change", () => setMulti(el.multi.checked));
  document.addEventListener("keydown", (e) => {
    if (isTextField(e.target)) return; // leave a text field's own undo and Esc alone
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo();
    } else if (e.key === "Escape") {
      clear();
    }
  });
  el.lang.addEventListener("change", () => setLanguage(el.lang.value));
}

onLanguageChange((lang) => {
  el.lang.value = lang;
  results.localize();
  feedback.localize();
  historyPanel.render();
  renderMessage();
});

bindControls();
bindUploads();
setLanguage(detectLanguage(), { remember: false });
historyPanel.refresh();
