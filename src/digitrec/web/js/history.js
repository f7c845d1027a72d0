// The history panel: this visitor's recent predictions with thumbnails,
// "right" / "wrong" feedback, delete, a link to export the corrected items, and
// "forget me" (delete them all, after a confirmation). When the server runs
// without history (its endpoints answer 404) the panel stays hidden.

import { ApiError, deleteHistoryItem, forgetMe, listHistory, sendFeedback } from "./api.js";
import { formatTime, percent, t } from "./i18n.js";
import { buildCorrectionPicker } from "./picker.js";

const PAGE_SIZE = 20;

export class HistoryPanel {
  /** @param {{onError: (error: Error) => void, onForgotten: () => void}} options */
  constructor({ onError, onForgotten }) {
    this.panel = document.getElementById("history-panel");
    this.list = document.getElementById("history");
    this.empty = document.getElementById("history-empty");
    this.onError = onError;
    this.onForgotten = onForgotten;
    this.items = [];
    this.enabled = true;
    this.pending = null; // the AbortController of the refresh in flight
    this.forgotten = null; // how many items "forget me" deleted, while its message shows
    document.getElementById("history-refresh").addEventListener("click", () => this.refresh());
    this.forgetButton = document.getElementById("forget");
    this.forgetConfirm = document.getElementById("forget-confirm");
    this.forgetDone = document.getElementById("forget-done");
    this.forgetButton.addEventListener("click", () => this.askToForget(this.forgetConfirm.hidden));
    document.getElementById("forget-no").addEventListener("click", () => this.askToForget(false));
    document.getElementById("forget-yes").addEventListener("click", () => this.forget());
  }

  askToForget(open) {
    this.forgetConfirm.hidden = !open;
    this.forgetButton.setAttribute("aria-expanded", String(open));
    if (open) {
      this.forgetDone.hidden = true;
      document.getElementById("forget-yes").focus();
    }
  }

  async forget() {
    try {
      const { deleted } = await forgetMe();
      this.askToForget(false);
      this.pending?.abort(); // a refresh in flight would show the items again
      this.items = [];
      this.forgotten = deleted;
      this.render();
      this.forgetButton.focus();
      this.onForgotten();
    } catch (error) {
      this.onError(error);
    }
  }

  async refresh() {
    if (!this.enabled) return;
    this.pending?.abort();
    const controller = (this.pending = new AbortController());
    try {
      const page = await listHistory({ limit: PAGE_SIZE, signal: controller.signal });
      this.items = page.items;
      if (this.items.length > 0) this.forgotten = null; // a new history has begun
      this.panel.hidden = false;
      this.render();
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (error instanceof ApiError && error.status === 404) {
        this.enabled = false; // history is turned off on this server
        this.panel.hidden = true;
      }
      // Any other failure leaves the last list in place; the prediction itself reports errors.
    } finally {
      if (this.pending === controller) this.pending = null;
    }
  }

  render() {
    this.list.replaceChildren(...this.items.map((item) => this.renderItem(item)));
    this.empty.hidden = this.items.length > 0;
    this.forgetDone.hidden = this.forgotten === null;
    if (this.forgotten !== null) this.forgetDone.textContent = t("forget.done", { count: this.forgotten });
  }

  renderItem(item) {
    const li = document.createElement("li");
    li.dataset.id = String(item.id);
    li.dataset.kind = item.kind;
    const time = formatTime(item.created_at);

    const thumb = document.createElement("img");
    thumb.className = "thumb";
    thumb.src = item.thumbnail;
    thumb.alt = t("history.thumbnail", { answer: item.answer });

    const info = document.createElement("div");
    info.className = "info";
    const answer = document.createElement("span");
    answer.className = "item-answer";
    answer.textContent = item.answer;
    const details = document.createElement("span");
    details.className = "item-details";
    details.textContent = `${percent(item.confidence, 0)} · ${time}`;
    info.append(answer, details);
    if (item.correct_label !== null && item.correct_label !== undefined) {
      const correction = document.createElement("span");
      correction.className = "correction";
      correction.textContent =
        item.correct_label === item.answer ? t("history.confirmed") : t("history.corrected", { label: item.correct_label });
      info.append(correction);
    }

    const actions = document.createElement("div");
    actions.className = "actions";
    const right = button(t("history.right"), "right", () => this.correct(item, item.answer));
    const wrong = button(t("history.wrong"), "wrong", () => {
      picker.hidden = !picker.hidden;
      wrong.setAttribute("aria-expanded", String(!picker.hidden));
      if (!picker.hidden) picker.querySelector("button, input")?.focus();
    });
    wrong.setAttribute("aria-expanded", "false");
    const remove = button(t("history.delete"), "delete", () => this.remove(item));
    remove.setAttribute("aria-label", t("history.delete.label", { answer: item.answer, time }));
    actions.append(right, wrong, remove);

    const picker = buildCorrectionPicker(item.kind, (label) => this.correct(item, label));
    picker.hidden = true;
    li.append(thumb, info, actions, picker);
    return li;
  }

  async correct(item, label) {
    try {
      const updated = await sendFeedback(item.id, label);
      this.replace(item.id, { ...item, ...updated });
      this.list.querySelector(`li[data-id="${item.id}"] button.right`)?.focus();
    } catch (error) {
      this.onError(error);
    }
  }

  async remove(item) {
    try {
      await deleteHistoryItem(item.id);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) return this.onError(error);
    }
    const index = this.items.findIndex((i) => i.id === item.id);
    this.items.splice(index, 1);
    this.render();
    // Keep keyboard users in the list rather than dropping focus to <body>.
    const next = this.list.children[Math.min(index, this.items.length - 1)];
    (next?.querySelector("button") ?? document.getElementById("history-refresh")).focus();
  }

  /** Show an item's new state (after feedback from this panel or from the result card). */
  replace(id, item) {
    const index = this.items.findIndex((i) => i.id === id);
    if (index < 0) return;
    this.items[index] = item;
    const li = this.renderItem(item);
    this.list.children[index].replaceWith(li);
  }
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `small ${className}`;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}
