// "Which answer was right?" controls, shared by the result card and the history list:
// ten digit buttons for one digit, a small text form for a line of digits.

import { t } from "./i18n.js";

/** Fill `container` with buttons 0-9 (each with data-digit); `onPick(label)` on click. */
export function fillDigitButtons(container, onPick) {
  const buttons = [];
  for (let digit = 0; digit < 10; digit++) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "digit";
    b.dataset.digit = String(digit);
    b.textContent = String(digit);
    b.setAttribute("aria-label", t("feedback.digit", { digit }));
    b.addEventListener("click", () => onPick(String(digit)));
    buttons.push(b);
  }
  container.replaceChildren(...buttons);
}

/** A detached picker for a history item of `kind` "digit" or "line". */
export function buildCorrectionPicker(kind, onPick) {
  const wrapper = document.createElement("div");
  wrapper.className = "picker";
  if (kind === "line") {
    const form = document.createElement("form");
    form.className = "text-picker";
    const label = document.createElement("label");
    label.textContent = t("feedback.text.label");
    const input = document.createElement("input");
    input.inputMode = "numeric";
    input.autocomplete = "off";
    input.pattern = "[0-9]+";
    input.required = true;
    label.append(" ", input);
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "small";
    save.textContent = t("feedback.text.save");
    form.append(label, save);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      onPick(input.value.trim());
    });
    wrapper.append(form);
  } else {
    const group = document.createElement("div");
    group.className = "digit-picker";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("feedback.pick"));
    fillDigitButtons(group, onPick);
    wrapper.append(group);
  }
  return wrapper;
}
