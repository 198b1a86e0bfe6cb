// The client of the picfre HTTP API (/v1 on the same origin). Credentials
// are the session cookie (same origin) or none in single-user mode; no token
// is ever kept by this code.

const base = "/v1";

/** An error answer of the API: its code, its message and the HTTP status. */
export class APIError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = "APIError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// errorOf reads the API's error body, {"error":{"code","message"}}, from a
// failed answer; an answer without one (a proxy's page) gets a generic text.
async function errorOf(res) {
  let code = "unavailable";
  let message = `The service answered ${res.status}.`;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not JSON: keep the generic text
  }
  const retry = res.headers.get("Retry-After");
  return new APIError(res.status, code, message, retry ? Number(retry) : undefined);
}

async function send(method, path, { json, body, headers = {}, query } = {}) {
  let url = base + path;
  if (query) {
    url += "?" + new URLSearchParams(query).toString();
  }
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new APIError(0, "unavailable", "The service cannot be reached. Check your connection and try again.");
  }
  if (!res.ok) {
    throw await errorOf(res);
  }
  return res;
}

async function json(method, path, opts) {
  const res = await send(method, path, opts);
  if (res.status === 204) {
    return null;
  }
  return res.json();
}

/** A download: the answer's bytes and the file name it suggests. */
async function download(method, path, opts, fallbackName) {
  const res = await send(method, path, opts);
  const blob = await res.blob();
  return { blob, name: fileNameOf(res.headers.get("Content-Disposition")) || fallbackName };
}

// fileNameOf reads filename="..." from a Content-Disposition header.
export function fileNameOf(disposition) {
  if (!disposition) {
    return "";
  }
  const m = /filename="([^"]*)"/i.exec(disposition) || /filename=([^;]+)/i.exec(disposition);
  return m ? m[1].trim() : "";
}

export const api = {
  account: () => json("GET", "/account"),
  history: () => json("GET", "/account/history"),
  agencies: () => json("GET", "/agencies"),
  packs: () => json("GET", "/credits/packs"),
  checkout: (pack) => json("POST", "/credits/checkout", { json: { pack } }),
  signIn: (token) => json("POST", "/session", { json: { token } }),
  signOut: () => json("DELETE", "/session"),
  estimate: (options, files) => json("POST", "/estimate", { json: { options, files } }),
  job: (id) => json("GET", `/jobs/${encodeURIComponent(id)}`),
  results: (id) => json("GET", `/jobs/${encodeURIComponent(id)}/results`, { query: { consume: "true" } }),
  cancel: (id) => json("POST", `/jobs/${encodeURIComponent(id)}/cancel`),
  renderCSV: (agency, items) =>
    download("POST", "/render/csv", { query: { agency }, json: { items } }, `picfre-${agency}.csv`),
  renderXMP: (item) => download("POST", "/render/xmp", { json: item }, "picfre.xmp"),
  renderJPEG: (item, file) => {
    const form = new FormData();
    form.append("metadata", JSON.stringify(item));
    form.append("file", file, "picfre.jpg");
    return download("POST", "/render/jpeg", { body: form }, "picfre.jpg");
  },
  exportData: () => download("GET", "/privacy/export", {}, "picfre-export.json"),
  erase: () => json("POST", "/privacy/erase", { json: { confirm: "erase" } }),
  consent: (c) => json("PUT", "/privacy/consent", { json: c }),
  eventsURL: (id) => `${base}/jobs/${encodeURIComponent(id)}/events`,

  /**
   * upload sends one multipart POST /v1/jobs: the options part first, then
   * one part per file. onProgress(sent, total) follows the upload. It
   * resolves to the Job the API answers (201).
   */
  upload(options, files, onProgress) {
    const form = new FormData();
    form.append("options", JSON.stringify(options));
    for (const f of files) {
      form.append("file", f.file, f.name);
    }
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", base + "/jobs");
      xhr.responseType = "json";
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) {
          onProgress(e.loaded, e.total);
        }
      };
      xhr.onerror = () => reject(new APIError(0, "unavailable", "The upload failed: the service cannot be reached."));
      xhr.onabort = () => reject(new APIError(0, "canceled", "The upload was canceled."));
      xhr.onload = () => {
        if (xhr.status === 201 || xhr.status === 200) {
          resolve(xhr.response);
          return;
        }
        const body = xhr.response;
        const err = body && body.error ? body.error : {};
        const retry = xhr.getResponseHeader("Retry-After");
        reject(new APIError(xhr.status, err.code || "unavailable",
          err.message || `The service answered ${xhr.status}.`, retry ? Number(retry) : undefined));
      };
      xhr.send(form);
    });
  },
};
