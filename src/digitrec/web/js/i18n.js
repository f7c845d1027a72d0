// Every visible string of the page, in English and Simplified Chinese.
//
// Static text in index.html carries data-i18n="key" (textContent) or
// data-i18n-<attribute>="key" (aria-label, title, alt); dynamic text calls t().
// Switching language re-applies both, so nothing is left in the old language.

const STRINGS = {
  en: {
    "page.title": "Digit recognizer",
    "page.tagline": "Draw a digit, or upload a photo of one, and see what the model reads.",
    "lang.label": "Language",
    "draw.heading": "Draw",
    "draw.instructions": "Draw one digit with your mouse, finger or pen. The answer appears when you lift the pen.",
    "draw.instructions.multi": "Write several digits side by side, with a little space between them.",
    "canvas.label": "Drawing area for a handwritten digit",
    "canvas.label.multi": "Drawing area for several handwritten digits",
    "brush.label": "Brush size",
    "undo": "Undo",
    "undo.title": "Undo the last stroke (Ctrl+Z)",
    "clear": "Clear",
    "clear.title": "Clear the drawing (Esc)",
    "predict": "Recognize",
    "multi.label": "Several digits",
    "upload.label": "Upload a photo",
    "upload.drop": "…or drop an image here",
    "upload.preview": "The uploaded image",
    "result.heading": "Result",
    "result.placeholder": "Nothing yet: draw a digit or upload a photo.",
    "result.answer": "Answer",
    "result.announce": "The answer is {answer}, {confidence} sure.",
    "result.announce.uncertain": "The answer is {answer}, but only {confidence} sure.",
    "result.announce.not_digit": "This doesn't look like a digit: no digit gets more than {confidence}.",
    "result.announce.not_digit.multi": "None of these marks looks like a digit.",
    "result.not_digit": "This doesn't look like a digit.",
    "result.not_digit.multi": "These marks don't look like digits.",
    "result.chip.not_digit": "Not a digit",
    "result.probabilities": "Probability of each digit",
    "result.model_input": "What the model saw (28 × 28 pixels)",
    "result.uncertain": "Not sure: the model is uncertain about this one. Try writing it more clearly.",
    "result.meta": "{ms} ms · model {name} {version}",
    "read.digits": "Each digit",
    "read.confidence": "{label}: {confidence}",
    "read.not_digit": "not a digit ({confidence} at most)",
    "feedback.question": "Correct?",
    "feedback.yes": "✓ Yes",
    "feedback.yes.label": "Yes, the answer is right",
    "feedback.no": "✗ No",
    "feedback.no.label": "No, the answer is wrong",
    "feedback.pick": "Pick the right digit:",
    "feedback.pick.not_digit": "If you meant a digit, say which:",
    "feedback.digit": "The right digit is {digit}",
    "feedback.text.label": "The right number",
    "feedback.text.save": "Save",
    "feedback.thanks": "Thank you! Saved as {label}.",
    "history.heading": "History",
    "history.empty": "No predictions yet.",
    "history.export": "Export corrected items (zip)",
    "history.refresh": "Refresh",
    "history.right": "Right",
    "history.wrong": "Wrong",
    "history.delete": "Delete",
    "history.delete.label": "Delete prediction {answer} from {time}",
    "history.thumbnail": "Drawing that was read as {answer}",
    "history.corrected": "corrected to {label}",
    "history.confirmed": "confirmed",
    "history.item": "{answer} · {confidence}",
    "history.private": "Only you, in this browser, see this history.",
    "forget.button": "Forget me",
    "forget.question": "Delete everything you drew or uploaded here from the server?",
    "forget.yes": "Delete all",
    "forget.no": "Cancel",
    "forget.done": "Done: {count} deleted. This browser starts afresh.",
    "msg.empty": "Draw a digit first.",
    "msg.working": "Reading…",
    "msg.network": "Cannot reach the server. Check that it is running and try again.",
    "msg.400": "The image could not be read.",
    "msg.404": "Not found.",
    "msg.413": "The image is too large.",
    "msg.415": "Unsupported file type: please upload a photo or an image file.",
    "msg.422": "No digit found in the image.",
    "msg.503": "The model is not loaded yet. Try again in a moment.",
    "msg.429": "Too many requests from your address: wait a moment, then try again.",
    "msg.5xx": "The server had a problem.",
    "msg.other": "Something went wrong (HTTP {status}).",
    "msg.server_said": "Server: {detail}",
  },
  zh: {
    "page.title": "手写数字识别",
    "page.tagline": "写一个数字，或上传数字照片，看看模型认出了什么。",
    "lang.label": "语言",
    "draw.heading": "书写",
    "draw.instructions": "用鼠标、手指或触控笔写一个数字。抬笔后即显示结果。",
    "draw.instructions.multi": "并排写几个数字，数字之间留一点空隙。",
    "canvas.label": "手写数字的书写区域",
    "canvas.label.multi": "书写多个数字的区域",
    "brush.label": "笔刷粗细",
    "undo": "撤销",
    "undo.title": "撤销上一笔（Ctrl+Z）",
    "clear": "清除",
    "clear.title": "清除画布（Esc）",
    "predict": "识别",
    "multi.label": "多个数字",
    "upload.label": "上传照片",
    "upload.drop": "……或把图片拖到这里",
    "upload.preview": "上传的图片",
    "result.heading": "结果",
    "result.placeholder": "还没有结果：请写一个数字或上传照片。",
    "result.answer": "答案",
    "result.announce": "答案是 {answer}，置信度 {confidence}。",
    "result.announce.uncertain": "答案是 {answer}，但置信度只有 {confidence}。",
    "result.announce.not_digit": "这看起来不像数字：任何数字的概率都不超过 {confidence}。",
    "result.announce.not_digit.multi": "这些笔画看起来都不像数字。",
    "result.not_digit": "这看起来不像数字。",
    "result.not_digit.multi": "这些笔画看起来都不像数字。",
    "result.chip.not_digit": "不是数字",
    "result.probabilities": "每个数字的概率",
    "result.model_input": "模型看到的图像（28 × 28 像素）",
    "result.uncertain": "不确定：模型对这个结果没有把握，请写得更清楚些。",
    "result.meta": "{ms} 毫秒 · 模型 {name} {version}",
    "read.digits": "逐个数字",
    "read.confidence": "{label}：{confidence}",
    "read.not_digit": "不是数字（最高仅 {confidence}）",
    "feedback.question": "正确吗？",
    "feedback.yes": "✓ 正确",
    "feedback.yes.label": "正确，答案是对的",
    "feedback.no": "✗ 错误",
    "feedback.no.label": "错误，答案不对",
    "feedback.pick": "请选择正确的数字：",
    "feedback.pick.not_digit": "如果你写的是数字，请告诉我们是哪个：",
    "feedback.digit": "正确的数字是 {digit}",
    "feedback.text.label": "正确的数字串",
    "feedback.text.save": "保存",
    "feedback.thanks": "谢谢！已记录为 {label}。",
    "history.heading": "历史记录",
    "history.empty": "还没有识别记录。",
    "history.export": "导出已更正的记录（zip）",
    "history.refresh": "刷新",
    "history.right": "正确",
    "history.wrong": "错误",
    "history.delete": "删除",
    "history.delete.label": "删除 {time} 的识别结果 {answer}",
    "history.thumbnail": "被识别为 {answer} 的图像",
    "history.corrected": "已更正为 {label}",
    "history.confirmed": "已确认",
    "history.item": "{answer} · {confidence}",
    "history.private": "只有你在这个浏览器里能看到这些记录。",
    "forget.button": "忘记我",
    "forget.question": "从服务器上删除你在这里画过或上传过的全部内容？",
    "forget.yes": "全部删除",
    "forget.no": "取消",
    "forget.done": "已删除 {count} 条记录。这个浏览器将重新开始。",
    "msg.empty": "请先写一个数字。",
    "msg.working": "识别中……",
    "msg.network": "无法连接服务器。请确认服务器正在运行，然后重试。",
    "msg.400": "无法读取这张图片。",
    "msg.404": "未找到。",
    "msg.413": "图片太大了。",
    "msg.415": "不支持的文件类型：请上传照片或图片文件。",
    "msg.422": "图片中没有找到数字。",
    "msg.503": "模型尚未加载，请稍后再试。",
    "msg.429": "你的地址发出的请求太多了：请稍等片刻再试。",
    "msg.5xx": "服务器出了问题。",
    "msg.other": "出错了（HTTP {status}）。",
    "msg.server_said": "服务器：{detail}",
  },
};

const HTML_LANG = { en: "en", zh: "zh-CN" };
const STORAGE_KEY = "digitrec.lang";
const listeners = [];
let current = "en";

/** The saved choice, else the first of navigator.languages we have (zh* → 中文). */
export function detectLanguage() {
  const saved = readSaved();
  if (saved in STRINGS) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in STRINGS) return base;
  }
  return "en";
}

export function getLanguage() {
  return current;
}

/** Switch language, remember it, re-translate the page and tell listeners. */
export function setLanguage(lang, { remember = true } = {}) {
  current = lang in STRINGS ? lang : "en";
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, current);
    } catch {
      // Private mode or storage disabled: the choice lasts for this page only.
    }
  }
  document.documentElement.lang = HTML_LANG[current];
  applyTranslations(document);
  for (const listener of listeners) listener(current);
}

export function onLanguageChange(listener) {
  listeners.push(listener);
}

/** The string for `key` in the current language, with {name} placeholders filled. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function applyTranslations(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ["aria-label", "title", "alt"]) {
    const dataKey = `i18n${attr.replace(/(^|-)(\w)/g, (m, dash, c) => c.toUpperCase())}`;
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[dataKey]));
  }
  document.title = t("page.title");
}

/** A fraction as a localized percentage: 0.983 → "98.3%". */
export function percent(fraction, digits = 1) {
  return new Intl.NumberFormat(HTML_LANG[current], {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(fraction);
}

export function formatTime(isoString) {
  const date = new Date(isoString);
  if (Number.isNaN(date.getTime())) return String(isoString);
  const sameDay = date.toDateString() === new Date().toDateString();
  const options = sameDay ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" };
  return new Intl.DateTimeFormat(HTML_LANG[current], options).format(date);
}

function readSaved() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
