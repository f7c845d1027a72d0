// "Correct? ✓ / ✗ → pick digit" for the result on screen: posts feedback for
// its history_id. Hidden when the result was not saved (history turned off).
// A "not a digit" answer has no digit to confirm: the picker is offered at once.

import { sendFeedback } from "./api.js";
import { t } from "./i18n.js";
import { fillDigitButtons } from "./picker.js";

const $ = (id) => document.getElementById(id);

export class FeedbackBar {
  /** @param {{onSaved: (item: object) => void, onError: (error: Error) => void}} options */
  constructor({ onSaved, onError }) {
    this.root = $("feedback");
    this.question = $("feedback-question");
    this.pickLabel = $("feedback-pick-label");
    this.yes = $("feedback-yes");
    this.no = $("feedback-no");
    this.picker = $("feedback-picker");
    this.digits = $("feedback-digits");
    this.textForm = $("feedback-text-form");
    this.text = $("feedback-text");
    this.done = $("feedback-done");
    this.onSaved = onSaved;
    this.onError = onError;
    this.target = null; // { id, kind, answer } of the result on screen
    this.savedLabel = null;

    this.yes.addEventListener("click", () => this.save(this.target.answer));
    this.no.addEventListener("click", () => this.togglePicker());
    this.textForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save(this.text.value.trim());
    });
    this.no.setAttribute("aria-controls", "feedback-picker");
    this.localize();
  }

  /** Offer feedback for a fresh result; `kind` is "digit" or "line". */
  show(result, kind) {
    if (result.history_id === null || result.history_id === undefined) return this.hide();
    this.target = { id: result.history_id, kind, answer: kind === "digit" ? result.label : result.text };
    this.savedLabel = null;
    const notDigit = result.outcome === "not_a_digit";
    this.root.hidden = false;
    this.question.hidden = this.yes.hidden = this.no.hidden = notDigit;
    this.picker.hidden = !notDigit;
    this.done.hidden = true;
    this.pickLabel.dataset.i18n = notDigit ? "feedback.pick.not_digit" : "feedback.pick";
    this.pickLabel.textContent = t(this.pickLabel.dataset.i18n);
    this.no.setAttribute("aria-expanded", String(notDigit));
    this.digits.hidden = kind !== "digit";
    this.textForm.hidden = kind === "digit";
    this.text.value = "";
  }

  hide() {
    this.target = null;
    this.root.hidden = true;
  }

  togglePicker() {
    this.picker.hidden = !this.picker.hidden;
    this.no.setAttribute("aria-expanded", String(!this.picker.hidden));
    if (!this.picker.hidden) (this.target.kind === "digit" ? this.digits.querySelector("button") : this.text).focus();
  }

  async save(label) {
    const target = this.target;
    if (!target || !label) return;
    try {
      const item = await sendFeedback(target.id, label);
      if (this.target !== target) return; // a newer result replaced this one meanwhile
      this.savedLabel = label;
      this.picker.hidden = true;
      this.yes.hidden = this.no.hidden = true;
      this.done.hidden = false;
      this.localize();
      this.done.setAttribute("tabindex", "-1");
      this.done.focus();
      this.onSaved(item);
    } catch (error) {
      this.onError(error);
    }
  }

  localize() {
    fillDigitButtons(this.digits, (label) => this.save(label));
    if (this.savedLabel !== null) this.done.textContent = t("feedback.thanks", { label: this.savedLabel });
  }
}
