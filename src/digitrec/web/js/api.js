// Calls to the digitrec HTTP API. No recognition logic lives here: images go
// to the server as they are, and answers come back as the server shaped them.

/** A failed call: kind "network" (no answer at all) or "http" (an error status). */
export class ApiError extends Error {
  constructor(kind, status = 0, detail = null) {
    super(typeof detail === "string" ? detail : `${kind} error ${status}`);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    // FastAPI's own validation errors carry a list here; ours carry a sentence.
    this.detail = typeof detail === "string" ? detail : null;
  }
}

export function isAbort(error) {
  return error?.name === "AbortError";
}

async function request(path, { method = "GET", body, json, signal } = {}) {
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body; // FormData: the browser writes the multipart boundary
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError("network");
  }
  if (!response.ok) throw new ApiError("http", response.status, await readDetail(response));
  if (response.status === 204) return null;
  return response.json();
}

async function readDetail(response) {
  try {
    return (await response.json()).detail ?? null;
  } catch {
    return null;
  }
}

/**
 * Recognize an image (a Blob or File). `multi` reads a line of digits
 * (/api/read) instead of one digit (/api/predict). `source` is "draw" or "upload".
 */
export function recognize(image, { multi = false, source = "draw", signal } = {}) {
  const form = new FormData();
  form.append("file", image, image.name || "drawing.png");
  form.append("source", source);
  return request(multi ? "/api/read" : "/api/predict", { method: "POST", body: form, signal });
}

export function listHistory({ limit = 20, offset = 0, signal } = {}) {
  return request(`/api/history?limit=${limit}&offset=${offset}`, { signal });
}

export function getHistoryItem(id) {
  return request(`/api/history/${encodeURIComponent(id)}`);
}

export function sendFeedback(id, label) {
  return request(`/api/history/${encodeURIComponent(id)}/feedback`, { method: "POST", json: { label } });
}

export function deleteHistoryItem(id) {
  return request(`/api/history/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** Delete all of this visitor's items; the server answers {deleted} and a new visitor id (cookie). */
export function forgetMe() {
  return request("/api/history", { method: "DELETE" });
}

export const HISTORY_EXPORT_URL = "/api/history/export";
