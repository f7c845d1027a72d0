// Shows a result: the big answer, ten probability bars, the 28x28 image the
// model saw, the "uncertain" notice and, for a line of digits, boxes drawn
// over the image that was sent. Everything shown comes from the server's answer.
// When the server's outcome is "not_a_digit" a notice takes the big answer's place.

import { percent, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const NOT_A_DIGIT = "not_a_digit";

export class ResultView {
  constructor() {
    this.el = {
      placeholder: $("result-placeholder"),
      single: $("single-result"),
      answerBlock: $("answer-block"),
      answer: $("answer"),
      notDigit: $("not-digit"),
      announce: $("announce"),
      modelInput: $("model-input"),
      read: $("read-result"),
      readAnswerBlock: $("read-answer-block"),
      readText: $("read-text"),
      readDigits: $("read-digits"),
      uncertain: $("uncertain"),
      barsBlock: $("probabilities-block"),
      bars: $("probabilities"),
      meta: $("meta"),
      chip: $("canvas-answer"),
    };
    this.last = null; // { kind, result, boxes } so a language switch can re-render
    buildBars(this.el.bars);
  }

  reset() {
    this.last = null;
    const el = this.el;
    el.placeholder.hidden = false;
    el.single.hidden = el.read.hidden = el.uncertain.hidden = el.notDigit.hidden = el.barsBlock.hidden = true;
    el.answer.textContent = el.readText.textContent = el.meta.textContent = el.announce.textContent = "";
    el.modelInput.removeAttribute("src");
    el.readDigits.replaceChildren();
    this.hideChip();
  }

  hideChip() {
    this.el.chip.hidden = true;
  }

  /** Repeat the answer over the canvas (for drawings only: it would mislabel a drawing with a photo's answer). */
  showChip() {
    if (!this.last) return;
    this.el.chip.hidden = false;
    this.localize();
  }

  /** One digit, from POST /api/predict. */
  showPrediction(result) {
    this.last = { kind: "digit", result };
    const el = this.el;
    const notDigit = result.outcome === NOT_A_DIGIT;
    el.placeholder.hidden = el.read.hidden = true;
    el.single.hidden = el.barsBlock.hidden = false;
    el.answer.textContent = result.label;
    el.modelInput.src = result.preprocessed;
    this.showOutcome(result, el.answerBlock);
    // The bars stay (they show why), but no digit is highlighted as the answer.
    fillBars(el.bars, result.probabilities, notDigit ? null : result.digit);
    this.localize();
  }

  /** A line of digits, from POST /api/read; `boxes` draws them over the sent image. */
  showReading(result, boxes) {
    this.last = { kind: "line", result, boxes };
    const el = this.el;
    el.placeholder.hidden = el.single.hidden = el.barsBlock.hidden = true;
    el.read.hidden = false;
    el.readText.textContent = result.text;
    this.showOutcome(result, el.readAnswerBlock);
    el.readDigits.replaceChildren(
      ...result.digits.map((d) => {
        const li = document.createElement("li");
        li.dataset.label = d.label;
        li.classList.toggle("not-digit", d.outcome === NOT_A_DIGIT);
        return li;
      }),
    );
    this.localize();
  }

  /** The big answer, with the "uncertain" notice when it is flagged; for not_a_digit, a notice in its place. */
  showOutcome(result, answerBlock) {
    const notDigit = result.outcome === NOT_A_DIGIT;
    answerBlock.hidden = notDigit;
    this.el.notDigit.hidden = !notDigit;
    this.el.uncertain.hidden = notDigit || !result.uncertain;
  }

  /** Re-write every string that depends on the language. */
  localize() {
    if (!this.last) return;
    const { kind, result, boxes } = this.last;
    const el = this.el;
    const notDigit = result.outcome === NOT_A_DIGIT;
    const line = kind === "digit" ? "" : ".multi";
    const key = notDigit
      ? `result.announce.not_digit${line}`
      : result.uncertain
        ? "result.announce.uncertain"
        : "result.announce";
    const answer = kind === "digit" ? result.label : result.text;
    el.announce.textContent = t(key, { answer, confidence: percent(result.confidence) });
    el.notDigit.textContent = notDigit ? t(`result.not_digit${line}`) : "";
    el.chip.textContent = notDigit ? t("result.chip.not_digit") : answer;
    el.chip.classList.toggle("not-digit", notDigit);
    el.meta.textContent = t("result.meta", {
      ms: Number(result.elapsed_ms).toFixed(1),
      name: result.model?.name ?? "?",
      version: result.model?.version ?? "",
    });
    if (kind === "digit") {
      el.modelInput.alt = t("result.model_input");
      labelBars(el.bars, result.probabilities);
    } else {
      result.digits.forEach((d, i) => {
        const key = d.outcome === NOT_A_DIGIT ? "read.not_digit" : "read.confidence";
        el.readDigits.children[i].textContent = t(key, { label: d.label, confidence: percent(d.confidence) });
      });
      if (boxes) drawBoxes(boxes.layer, result.digits, boxes.width, boxes.height);
    }
  }
}

function buildBars(list) {
  for (let digit = 0; digit < 10; digit++) {
    const li = document.createElement("li");
    li.dataset.digit = String(digit);
    li.innerHTML = `<span class="bar-label">${digit}</span>
      <span class="bar-track"><span class="bar-fill"></span></span>
      <span class="bar-value"></span>`;
    list.append(li);
  }
}

function fillBars(list, probabilities, winner) {
  for (const li of list.children) {
    const digit = Number(li.dataset.digit);
    const p = probabilities[digit] ?? 0;
    li.classList.toggle("winner", digit === winner);
    li.querySelector(".bar-fill").style.width = `${(p * 100).toFixed(2)}%`;
  }
}

function labelBars(list, probabilities) {
  for (const li of list.children) {
    const p = probabilities[Number(li.dataset.digit)] ?? 0;
    li.querySelector(".bar-value").textContent = percent(p);
    li.setAttribute("aria-label", `${li.dataset.digit}: ${percent(p)}`);
  }
}

/**
 * Absolutely positioned boxes over an image shown at any size. Boxes come in
 * pixels of the image that was sent (sentWidth x sentHeight), x1/y1 exclusive,
 * so they are placed as percentages of it and follow the displayed size.
 */
export function drawBoxes(layer, digits, sentWidth, sentHeight) {
  layer.replaceChildren(
    ...digits.map((d) => {
      const [x0, y0, x1, y1] = d.box;
      const box = document.createElement("div");
      box.className = "box";
      box.style.left = `${(100 * x0) / sentWidth}%`;
      box.style.top = `${(100 * y0) / sentHeight}%`;
      box.style.width = `${(100 * (x1 - x0)) / sentWidth}%`;
      box.style.height = `${(100 * (y1 - y0)) / sentHeight}%`;
      const tag = document.createElement("span");
      tag.className = "box-tag";
      tag.textContent = `${d.outcome === NOT_A_DIGIT ? "✗" : d.label} · ${percent(d.confidence, 0)}`;
      box.append(tag);
      return box;
    }),
  );
}

export function clearBoxes(...layers) {
  for (const layer of layers) layer.replaceChildren();
}
