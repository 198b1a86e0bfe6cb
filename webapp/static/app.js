// picfre's reference web app. Plain JavaScript modules, no framework, no
// third-party code; it runs under a strict Content-Security-Policy, so it
// sets no inline style or handler: classes and addEventListener only.
//
// What the user drops stays in this page: the thumbnails are object URLs of
// the local files, the results are kept in memory once they are fetched
// (and deleted on the server as they are), and the downloads are made from
// what the user edited.

import { api, APIError } from "./api.js";

const $ = (sel, root = document) => root.querySelector(sel);

const el = {
  loading: $("#loading"),
  errors: $("#errors"),
  signin: $("#signin"),
  signinForm: $("#signin-form"),
  token: $("#token"),
  signout: $("#signout"),
  app: $("#app"),
  summary: $("#balance-summary"),
  agency: $("#agency"),
  agencyLimits: $("#agency-limits"),
  task: $("#task"),
  language: $("#language"),
  keywords: $("#keywords"),
  optionsForm: $("#options-form"),
  dropzone: $("#dropzone"),
  fileInput: $("#file-input"),
  folderInput: $("#folder-input"),
  chosen: $("#chosen"),
  chosenCount: $("#chosen-count"),
  fileList: $("#file-list"),
  estimate: $("#estimate"),
  start: $("#start"),
  clear: $("#clear"),
  upload: $("#upload"),
  uploadProgress: $("#upload-progress"),
  jobProgress: $("#job-progress"),
  live: $("#live"),
  skipped: $("#skipped"),
  results: $("#results"),
  resultsHeading: $("#results-h"),
  csvButtons: $("#csv-buttons"),
  csvLinks: $("#csv-links"),
  grid: $("#grid"),
  cardTemplate: $("#card-template"),
  credits: $("#balance-credits"),
  held: $("#balance-held"),
  available: $("#balance-available"),
  owed: $("#owed-state"),
  packsBox: $("#packs-box"),
  packs: $("#packs"),
  checkoutState: $("#checkout-state"),
  erasedState: $("#erased-state"),
  history: $("#history"),
  historyRefresh: $("#history-refresh"),
  exportButton: $("#export"),
  exportLinks: $("#export-links"),
  eraseButton: $("#erase"),
  eraseDialog: $("#erase-dialog"),
  consentForm: $("#consent-form"),
  consentStatus: $("#consent-status"),
};

// The state of the page. files are in the order they will be uploaded, so
// a file's position is its index in the job.
const state = {
  account: null,
  agencies: [],
  phase: "choosing", // choosing | uploading | running | done
  files: [],
  seen: new Set(),
  job: null,
  finishing: false,
  estimateSeq: 0,
};

// ---- messages --------------------------------------------------------------

function showError(err) {
  let text = err instanceof APIError || err instanceof Error ? err.message : String(err);
  if (err instanceof APIError && err.retryAfter) {
    text += ` Try again in ${err.retryAfter} s.`;
  }
  el.errors.textContent = "";
  const p = document.createElement("p");
  p.textContent = text;
  el.errors.append(p);
}

function clearError() {
  el.errors.textContent = "";
}

function announce(text) {
  el.live.textContent = text;
}

// ---- helpers ----------------------------------------------------------------

const charCount = (s) => [...(s || "")].length;

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// The types the service takes, as its upload endpoint sniffs them
// (internal/media.Detect): anything else makes the whole upload fail with
// 415 unsupported_media, so it is left out here, by MIME type or by
// extension. HEIC, AVIF, PDF, Illustrator and the like are not taken.
const imageExt = /\.(jpe?g|png|webp|gif|tiff?|bmp)$/i;
const vectorExt = /\.(svg|eps)$/i;
const videoExt = /\.(mp4|mov|webm|mkv|avi)$/i;
const audioExt = /\.(mp3|wav|flac|ogg|oga|m4a)$/i;
const imageTypes = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/bmp"]);
const vectorTypes = new Set(["image/svg+xml", "application/postscript", "image/x-eps", "application/eps"]);
const videoTypes = new Set(["video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo", "video/avi"]);
const audioTypes = new Set(["audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/x-flac",
  "audio/ogg", "audio/mp4", "audio/x-m4a", "audio/m4a"]);

// kindOf tells the media kind the estimate needs; "" for a file of a type
// the service does not take (it is left out of the upload).
function kindOf(file) {
  const t = file.type || "";
  if (vectorTypes.has(t) || vectorExt.test(file.name)) return "vector";
  if (imageTypes.has(t) || imageExt.test(file.name)) return "image";
  if (videoTypes.has(t) || videoExt.test(file.name)) return "video";
  if (audioTypes.has(t) || audioExt.test(file.name)) return "audio";
  return "";
}

// browserCanShow: an <img> of an object URL works for these types.
const showable = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif", "image/bmp", "image/svg+xml"]);

const stateText = {
  chosen: "ready",
  uploading: "uploading",
  uploaded: "uploaded",
  queued: "waiting",
  running: "working",
  done: "done",
  failed: "failed",
  canceled: "canceled",
};

// ---- account ----------------------------------------------------------------

function renderAccount(acc) {
  state.account = acc;
  const b = acc.balance;
  if (b) {
    el.credits.textContent = String(b.credits);
    el.held.textContent = String(b.held);
    el.available.textContent = String(b.available);
    el.summary.textContent = `${plural(b.available, "credit", "credits")} available`;
    el.summary.hidden = false;
    const owed = b.owed || 0;
    el.owed.textContent = owed > 0 ? `Account blocked: credits owed (${owed}). A refund or dispute took back credits that were already spent; your next top-up pays them first.` : "";
    el.owed.hidden = !(owed > 0);
  } else {
    el.credits.textContent = el.held.textContent = el.available.textContent = "—";
    el.summary.hidden = true;
    el.owed.hidden = true;
  }
  el.signout.hidden = !!acc.single_user;
}

// money formats a pack's price, given in the currency's minor unit.
function money(amount, currency) {
  try {
    const f = new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() });
    const digits = f.resolvedOptions().maximumFractionDigits;
    return f.format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency}`;
  }
}

// refreshPacks lists the packs on sale, each with a Buy button; the box
// stays hidden when the server takes no payments (404).
async function refreshPacks() {
  let answer;
  try {
    answer = await api.packs();
  } catch (err) {
    if (err.code !== "not_found") showError(err);
    el.packsBox.hidden = true;
    return;
  }
  el.packs.textContent = "";
  for (const p of answer.packs || []) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `${plural(p.credits, "credit", "credits")} for ${money(p.amount, p.currency)}`;
    const buy = document.createElement("button");
    buy.type = "button";
    buy.className = "buy";
    buy.dataset.pack = p.name;
    buy.textContent = "Buy";
    buy.setAttribute("aria-label", `Buy ${text.textContent}`);
    buy.addEventListener("click", () => buyPack(p.name, buy));
    li.append(text, " ", buy);
    el.packs.append(li);
  }
  el.packsBox.hidden = el.packs.children.length === 0;
  const back = new URLSearchParams(location.search).get("checkout");
  if (back === "success" || back === "cancel") {
    el.checkoutState.textContent = back === "success"
      ? "Thank you: your credits appear here as soon as the payment is confirmed."
      : "The payment was canceled; nothing was charged.";
    el.checkoutState.hidden = false;
  }
}

// buyPack opens the processor's checkout page for the pack: a top-level
// navigation to the URL the API answers, an http(s) one only.
async function buyPack(name, button) {
  button.disabled = true;
  try {
    const c = await api.checkout(name);
    const url = new URL(c.url);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new APIError(0, "internal", "The payment page has an address this page does not open.");
    }
    location.assign(url.href);
  } catch (err) {
    showError(err);
    button.disabled = false;
  }
}

async function refreshAccount() {
  try {
    renderAccount(await api.account());
  } catch (err) {
    showError(err);
  }
}

const entryText = { topup: "Top-up", usage: "File processed", refund: "Refund", adjustment: "Adjustment" };

async function refreshHistory() {
  let answer;
  try {
    answer = await api.history();
  } catch (err) {
    if (err.code !== "not_found") showError(err);
    return;
  }
  el.history.textContent = "";
  const entries = answer.entries || [];
  if (entries.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 4;
    td.textContent = "Nothing yet.";
    tr.append(td);
    el.history.append(tr);
    return;
  }
  for (const e of entries) {
    const tr = document.createElement("tr");
    const when = document.createElement("td");
    const time = document.createElement("time");
    time.dateTime = e.time;
    time.textContent = new Date(e.time).toLocaleString();
    when.append(time);
    const what = document.createElement("td");
    // The ledger's summaries of deleted records (ids purged_*) are not
    // files processed: they keep only the sum the balance needs.
    what.textContent = String(e.id || "").startsWith("purged_") ? "Deleted records (sum)" : entryText[e.kind] || e.kind;
    const credits = document.createElement("td");
    credits.className = "num";
    credits.textContent = e.credits > 0 ? `+${e.credits}` : String(e.credits);
    const ref = document.createElement("td");
    ref.textContent = e.file || e.reference || e.note || "";
    tr.append(when, what, credits, ref);
    el.history.append(tr);
  }
}

// ---- agencies and options ---------------------------------------------------

function chosenAgency() {
  return state.agencies.find((a) => a.name === el.agency.value);
}

function renderAgencies() {
  el.agency.textContent = "";
  for (const a of state.agencies) {
    const o = document.createElement("option");
    o.value = a.name;
    o.textContent = a.display_name || a.name;
    el.agency.append(o);
  }
  if (state.agencies.some((a) => a.name === "adobe")) {
    el.agency.value = "adobe";
  }
  el.csvButtons.textContent = "";
  for (const a of state.agencies.filter((x) => x.csv)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "csv";
    b.dataset.agency = a.name;
    b.textContent = a.display_name || a.name;
    b.setAttribute("aria-label", `Make the CSV for ${a.display_name || a.name}`);
    b.addEventListener("click", () => makeCSV(a));
    el.csvButtons.append(b);
  }
  renderAgencyLimits();
}

function renderAgencyLimits() {
  const a = chosenAgency();
  if (!a) {
    el.agencyLimits.textContent = "";
    return;
  }
  const parts = [];
  if (a.title_max) parts.push(`titles up to ${a.title_max} characters`);
  if (a.description_max) parts.push(`descriptions up to ${a.description_max}`);
  if (a.keywords_max) parts.push(`${a.keywords_min || 0}–${a.keywords_max} keywords`);
  if (a.keyword_max_len) parts.push(`keywords up to ${a.keyword_max_len} characters each`);
  el.agencyLimits.textContent = parts.length ? `${a.display_name}: ${parts.join(", ")}.` : "";
  if (a.keywords_max) {
    el.keywords.max = String(a.keywords_max);
  } else {
    el.keywords.max = "50";
  }
}

function jobOptions() {
  const o = { task: el.task.value };
  if (el.agency.value) o.agency = el.agency.value;
  if (el.language.value) o.language = el.language.value;
  const n = parseInt(el.keywords.value, 10);
  if (Number.isFinite(n) && n > 0) o.max_keywords = n;
  return o;
}

// ---- choosing files ---------------------------------------------------------

function resetBatch() {
  for (const f of state.files) {
    if (f.url) URL.revokeObjectURL(f.url);
    for (const link of f.links.values()) URL.revokeObjectURL(link);
  }
  for (const a of el.csvLinks.querySelectorAll("a")) URL.revokeObjectURL(a.href);
  state.files = [];
  state.seen = new Set();
  state.job = null;
  state.finishing = false;
  state.phase = "choosing";
  el.skipped.textContent = "";
  el.fileList.textContent = "";
  el.grid.textContent = "";
  el.csvLinks.textContent = "";
  el.estimate.textContent = "";
  el.results.hidden = true;
  el.upload.hidden = true;
  el.chosen.hidden = true;
  el.uploadProgress.value = 0;
  el.jobProgress.value = 0;
  announce("");
  setChoosing(true);
}

function setChoosing(on) {
  el.fileInput.disabled = !on;
  el.folderInput.disabled = !on;
  el.dropzone.classList.toggle("disabled", !on);
  for (const c of el.optionsForm.elements) c.disabled = !on;
  el.clear.disabled = !(on || state.phase === "done");
}

function addFiles(list) {
  if (state.phase === "uploading" || state.phase === "running") return;
  if (state.phase === "done") resetBatch();
  clearError();
  let added = 0;
  const skipped = [];
  for (const file of list) {
    if (file.name.startsWith(".")) continue; // .DS_Store and the like
    const key = `${file.webkitRelativePath || file.name}|${file.size}|${file.lastModified}`;
    if (state.seen.has(key)) continue;
    const kind = kindOf(file);
    if (!kind) {
      skipped.push(file.name);
      continue;
    }
    state.seen.add(key);
    const f = {
      file,
      name: file.name,
      kind,
      width: 0,
      height: 0,
      state: "chosen",
      code: "",
      url: showable.has(file.type) ? URL.createObjectURL(file) : "",
      result: null,
      item: null,
      links: new Map(),
      li: null,
      card: null,
    };
    state.files.push(f);
    added++;
  }
  renderFileList();
  el.skipped.textContent = skipped.length
    ? `Skipped ${plural(skipped.length, "file", "files")}: ${skipped.join(", ")} (not a type picfre takes).`
    : "";
  if (added > 0) {
    estimate();
  }
}

function renderFileList() {
  el.fileList.textContent = "";
  state.files.forEach((f, i) => {
    const li = document.createElement("li");
    li.dataset.index = String(i);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = f.name;
    const size = document.createElement("span");
    size.className = "size";
    size.textContent = formatBytes(f.file.size);
    const st = document.createElement("span");
    st.className = "state";
    li.append(name, size, st);
    f.li = li;
    renderFileState(f);
    el.fileList.append(li);
  });
  const n = state.files.length;
  el.chosen.hidden = n === 0;
  let text = `${plural(n, "file", "files")} chosen.`;
  el.chosenCount.textContent = text;
}

function renderFileState(f) {
  if (!f.li) return;
  f.li.dataset.state = f.state;
  const st = f.li.querySelector(".state");
  st.textContent = stateText[f.state] || f.state;
  if (f.code) st.textContent += ` (${f.code.replaceAll("_", " ")})`;
}

// readSize reads an image's pixel size in the browser, for the estimate.
async function readSize(f) {
  if (f.kind !== "image" || f.width) return;
  try {
    const bmp = await createImageBitmap(f.file);
    f.width = bmp.width;
    f.height = bmp.height;
    bmp.close();
  } catch {
    // a type the browser cannot decode (HEIC, TIFF): the estimate prices it without a size
  }
}

// Directory entries of a drop, walked to their files.
function entryFile(entry) {
  return new Promise((resolve) => entry.file(resolve, () => resolve(null)));
}

function readAll(reader) {
  return new Promise((resolve) => {
    const out = [];
    const next = () =>
      reader.readEntries(
        (batch) => {
          if (batch.length === 0) {
            resolve(out);
            return;
          }
          out.push(...batch);
          next();
        },
        () => resolve(out),
      );
    next();
  });
}

async function walk(entry, out) {
  if (entry.isFile) {
    const f = await entryFile(entry);
    if (f) out.push(f);
  } else if (entry.isDirectory) {
    const children = await readAll(entry.createReader());
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const c of children) await walk(c, out);
  }
}

async function filesOfDrop(dt) {
  // The items must be read during the drop event: take the entries first.
  const entries = [];
  if (dt.items && dt.items.length && typeof dt.items[0].webkitGetAsEntry === "function") {
    for (const item of dt.items) {
      if (item.kind !== "file") continue;
      const e = item.webkitGetAsEntry();
      if (e) entries.push(e);
    }
  }
  if (entries.length === 0) return [...(dt.files || [])];
  const out = [];
  for (const e of entries) await walk(e, out);
  return out;
}

// ---- estimate ----------------------------------------------------------------

async function estimate() {
  if (state.files.length === 0 || state.phase !== "choosing") return;
  const seq = ++state.estimateSeq;
  el.start.disabled = true;
  el.estimate.textContent = "Estimating…";
  await Promise.all(state.files.map(readSize));
  if (seq !== state.estimateSeq) return;
  const files = state.files.map((f) => ({ name: f.name, kind: f.kind, width: f.width, height: f.height, duration_seconds: 0 }));
  let answer;
  try {
    answer = await api.estimate(jobOptions(), files);
  } catch (err) {
    if (seq !== state.estimateSeq) return;
    el.estimate.textContent = "";
    showError(err);
    return;
  }
  if (seq !== state.estimateSeq) return;
  renderEstimate(answer);
}

function renderEstimate(a) {
  el.estimate.textContent = "";
  const p = document.createElement("p");
  p.className = "estimate-credits";
  p.dataset.credits = String(a.credits);
  p.textContent = `This costs about ${plural(a.credits, "credit", "credits")}`;
  if (a.input_tokens) p.textContent += ` (${a.input_tokens.toLocaleString()} input tokens)`;
  p.textContent += ".";
  el.estimate.append(p);
  if (a.available !== undefined) {
    const q = document.createElement("p");
    q.className = "estimate-balance";
    q.textContent = `You have ${plural(a.available, "credit", "credits")} available.`;
    if (a.enough === false) {
      q.textContent += " That is not enough: top up first, or choose fewer files.";
      q.classList.add("short");
    }
    el.estimate.append(q);
  }
  el.start.disabled = a.enough === false;
}

// ---- upload and progress ----------------------------------------------------

async function startJob() {
  if (state.phase !== "choosing" || state.files.length === 0) return;
  clearError();
  state.phase = "uploading";
  setChoosing(false);
  el.start.disabled = true;
  el.upload.hidden = false;
  for (const f of state.files) {
    f.state = "uploading";
    renderFileState(f);
  }
  announce(`Uploading ${plural(state.files.length, "file", "files")}…`);
  let job;
  try {
    job = await api.upload(jobOptions(), state.files, (sent, total) => {
      el.uploadProgress.value = Math.round((sent / total) * 100);
    });
  } catch (err) {
    state.phase = "choosing";
    for (const f of state.files) {
      f.state = "chosen";
      renderFileState(f);
    }
    setChoosing(true);
    el.start.disabled = false;
    el.upload.hidden = true;
    announce("The upload failed.");
    showError(err);
    return;
  }
  el.uploadProgress.value = 100;
  state.phase = "running";
  state.job = job;
  el.clear.disabled = true;
  applyJob(job);
  announce(`Uploaded. ${progressText(job)}`);
  watch(job.id);
  refreshAccount();
}

function progressText(c) {
  let t = `${c.done} of ${c.total} done`;
  if (c.failed) t += `, ${c.failed} failed`;
  if (c.canceled) t += `, ${c.canceled} canceled`;
  return t + ".";
}

function applyCounts(c) {
  el.jobProgress.max = Math.max(1, c.total);
  el.jobProgress.value = c.done + c.failed + c.canceled;
}

function applyFile(file) {
  const f = state.files[file.index];
  if (!f) return;
  f.state = file.state;
  f.code = file.code || "";
  renderFileState(f);
}

function applyJob(job) {
  applyCounts(job);
  for (const file of job.files || []) applyFile(file);
}

function watch(id) {
  const es = new EventSource(api.eventsURL(id));
  let ended = false;
  es.addEventListener("open", async () => {
    // No replay: what happened before the stream opened comes from the job.
    try {
      const job = await api.job(id);
      if (!ended) applyJob(job);
    } catch (err) {
      showError(err);
    }
  });
  es.addEventListener("progress", (e) => {
    const ev = JSON.parse(e.data);
    applyCounts(ev);
    if (ev.file) applyFile(ev.file);
    announce(progressText(ev));
  });
  es.addEventListener("done", (e) => {
    ended = true;
    es.close();
    const ev = JSON.parse(e.data);
    applyCounts(ev);
    if (ev.file) applyFile(ev.file);
    announce(progressText(ev));
    finish(id);
  });
  es.addEventListener("error", () => {
    if (ended) return;
    ended = true;
    es.close();
    // The stream broke: look at the job, then listen again unless it is over.
    setTimeout(async () => {
      try {
        const job = await api.job(id);
        applyJob(job);
        if (job.finished) finish(id);
        else watch(id);
      } catch (err) {
        showError(err);
      }
    }, 1000);
  });
}

async function finish(id) {
  if (state.finishing) return;
  state.finishing = true;
  let answer;
  try {
    // consume=true: the server deletes each result once it is handed over.
    answer = await api.results(id);
  } catch (err) {
    state.finishing = false;
    showError(err);
    return;
  }
  try {
    const job = await api.job(id);
    applyJob(job);
  } catch {
    // the states from the events stand
  }
  for (const r of answer.results || []) {
    const f = state.files[r.index];
    if (!f) continue;
    f.result = r;
    if (r.error) {
      f.state = "failed";
      f.code = r.error.code || f.code;
      renderFileState(f);
      continue;
    }
    f.item = {
      file: r.file || f.name,
      title: r.title || "",
      description: r.description || "",
      keywords: [...(r.keywords || [])],
      categories: [...(r.categories || [])],
    };
  }
  state.phase = "done";
  setChoosing(true);
  renderResults();
  const ok = state.files.filter((f) => f.item).length;
  announce(`All files settled: ${ok} of ${state.files.length} have results.`);
  el.resultsHeading.focus();
  refreshAccount();
  refreshHistory();
}

// ---- results grid --------------------------------------------------------------

function renderResults() {
  el.grid.textContent = "";
  state.files.forEach((f, i) => {
    const li = el.cardTemplate.content.firstElementChild.cloneNode(true);
    f.card = li;
    li.dataset.index = String(i);
    li.dataset.state = f.state;
    const id = `f${i}`;
    const article = $("article", li);
    const heading = $(".file-name", li);
    heading.id = `${id}-name`;
    heading.textContent = f.name;
    article.setAttribute("aria-labelledby", heading.id);
    const img = $("img", li);
    if (f.url) {
      img.src = f.url;
      img.alt = `Preview of ${f.name}`;
    } else {
      $(".thumb", li).classList.add("none");
      img.remove();
      $(".thumb", li).textContent = "No preview";
    }
    $(".file-state", li).textContent = f.item ? "" : `Failed${f.code ? `: ${f.code.replaceAll("_", " ")}` : ""}.`;
    if (!f.item) {
      for (const part of li.querySelectorAll(".field, .file-downloads")) part.remove();
      el.grid.append(li);
      return;
    }
    wire(li, `${id}-title`, ".title-label", ".title");
    wire(li, `${id}-desc`, ".desc-label", ".description");
    wire(li, `${id}-add`, ".add-label", ".add-keyword");
    const title = $(".title", li);
    const desc = $(".description", li);
    title.value = f.item.title;
    desc.value = f.item.description;
    title.setAttribute("aria-describedby", `${id}-title-warn`);
    desc.setAttribute("aria-describedby", `${id}-desc-warn`);
    $(".title-warning", li).id = `${id}-title-warn`;
    $(".desc-warning", li).id = `${id}-desc-warn`;
    const kwHeading = $(".kw-heading", li);
    kwHeading.id = `${id}-kw`;
    $(".chips", li).setAttribute("aria-labelledby", kwHeading.id);
    title.addEventListener("input", () => {
      f.item.title = title.value;
      checkLimits(f);
    });
    desc.addEventListener("input", () => {
      f.item.description = desc.value;
      checkLimits(f);
    });
    const add = $(".add-keyword", li);
    add.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        addKeyword(f, add);
      }
    });
    $(".add-button", li).addEventListener("click", () => addKeyword(f, add));
    $(".add-button", li).setAttribute("aria-label", `Add the keyword to ${f.name}`);
    const xmp = $(".xmp", li);
    xmp.setAttribute("aria-label", `Make the XMP sidecar of ${f.name}`);
    xmp.addEventListener("click", () => makeXMP(f));
    const jpeg = $(".jpeg", li);
    if (f.file.type === "image/jpeg") {
      jpeg.setAttribute("aria-label", `Make ${f.name} with its metadata embedded`);
      jpeg.addEventListener("click", () => makeJPEG(f));
    } else {
      jpeg.remove();
    }
    renderChips(f);
    checkLimits(f);
    el.grid.append(li);
  });
  el.results.hidden = false;
}

// wire gives a card's control a unique id and points its label at it.
function wire(card, id, labelSel, controlSel) {
  $(controlSel, card).id = id;
  $(labelSel, card).htmlFor = id;
}

function renderChips(f, focus) {
  const ol = $(".chips", f.card);
  ol.textContent = "";
  const a = chosenAgency();
  const top = a && a.top_keywords ? a.top_keywords : 0;
  f.item.keywords.forEach((kw, i) => {
    const li = document.createElement("li");
    li.className = "chip";
    if (i < top) li.classList.add("lead");
    const text = document.createElement("span");
    text.className = "kw";
    text.textContent = kw;
    const up = chipButton("up", "↑", `Move “${kw}” up`, i === 0);
    const down = chipButton("down", "↓", `Move “${kw}” down`, i === f.item.keywords.length - 1);
    const del = chipButton("delete", "×", `Delete the keyword “${kw}”`, false);
    up.addEventListener("click", () => moveKeyword(f, i, -1));
    down.addEventListener("click", () => moveKeyword(f, i, +1));
    del.addEventListener("click", () => deleteKeyword(f, i));
    li.append(text, up, down, del);
    ol.append(li);
  });
  if (focus) {
    const { index, which } = focus;
    const chips = ol.querySelectorAll(".chip");
    if (chips.length === 0 || index < 0) {
      $(".add-keyword", f.card).focus();
      return;
    }
    const chip = chips[Math.min(index, chips.length - 1)];
    let b = chip.querySelector(`button.${which}`);
    if (!b || b.disabled) b = chip.querySelector("button:not(:disabled)");
    b.focus();
  }
}

function chipButton(cls, symbol, label, disabled) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = symbol;
  b.setAttribute("aria-label", label);
  b.title = label;
  b.disabled = disabled;
  return b;
}

function moveKeyword(f, i, by) {
  const kws = f.item.keywords;
  const j = i + by;
  if (j < 0 || j >= kws.length) return;
  [kws[i], kws[j]] = [kws[j], kws[i]];
  renderChips(f, { index: j, which: by < 0 ? "up" : "down" });
  checkLimits(f);
  announce(`“${kws[j]}” is keyword ${j + 1} of ${kws.length}.`);
}

function deleteKeyword(f, i) {
  const [gone] = f.item.keywords.splice(i, 1);
  renderChips(f, { index: Math.min(i, f.item.keywords.length - 1), which: "delete" });
  checkLimits(f);
  announce(`“${gone}” deleted; ${plural(f.item.keywords.length, "keyword", "keywords")} left.`);
}

function addKeyword(f, input) {
  const words = input.value
    .split(",")
    .map((w) => w.trim().replace(/\s+/g, " "))
    .filter(Boolean);
  if (words.length === 0) return;
  const have = new Set(f.item.keywords.map((k) => k.toLowerCase()));
  const added = [];
  for (const w of words) {
    if (have.has(w.toLowerCase())) continue;
    have.add(w.toLowerCase());
    f.item.keywords.push(w);
    added.push(w);
  }
  input.value = "";
  renderChips(f);
  checkLimits(f);
  input.focus();
  announce(added.length ? `Added ${added.map((w) => `“${w}”`).join(", ")}.` : "That keyword is there already.");
}

// checkLimits shows the chosen agency's limits as warnings next to the fields.
function checkLimits(f) {
  const a = chosenAgency();
  const card = f.card;
  if (!card || !f.item) return;
  const name = a ? a.display_name || a.name : "";
  const t = [];
  const n = charCount(f.item.title);
  if (n === 0) t.push("The title is empty.");
  else if (a && a.title_max && n > a.title_max) t.push(`The title has ${n} characters; ${name} takes at most ${a.title_max}.`);
  const d = [];
  const m = charCount(f.item.description);
  if (a && a.description_max && m > a.description_max) {
    d.push(`The description has ${m} characters; ${name} takes at most ${a.description_max}.`);
  }
  const k = [];
  const count = f.item.keywords.length;
  if (a && a.keywords_min && count < a.keywords_min) {
    k.push(`${plural(count, "keyword", "keywords")}; ${name} wants at least ${a.keywords_min}.`);
  }
  if (a && a.keywords_max && count > a.keywords_max) {
    k.push(`${plural(count, "keyword", "keywords")}; ${name} takes at most ${a.keywords_max}.`);
  }
  if (a && a.keyword_max_len) {
    const long = f.item.keywords.filter((w) => charCount(w) > a.keyword_max_len);
    if (long.length) {
      k.push(`Longer than ${a.keyword_max_len} characters: ${long.map((w) => `“${w}”`).join(", ")}.`);
    }
  }
  setWarning($(".title-warning", card), t);
  setWarning($(".desc-warning", card), d);
  setWarning($(".kw-warning", card), k);
  card.classList.toggle("warned", t.length + d.length + k.length > 0);
}

function setWarning(node, lines) {
  const text = lines.join(" ");
  if (node.textContent !== text) node.textContent = text;
}

// ---- downloads -----------------------------------------------------------------

// offer puts a download link for blob in container (replacing the one of the
// same key) and moves the focus to it.
function offer(container, key, blob, name, label) {
  const old = container.querySelector(`a[data-key="${key}"]`);
  if (old) {
    URL.revokeObjectURL(old.href);
    old.remove();
  }
  const a = document.createElement("a");
  a.className = "download-link";
  a.dataset.key = key;
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.textContent = label;
  container.append(a);
  a.focus();
  return a;
}

function items() {
  return state.files.filter((f) => f.item).map((f) => f.item);
}

async function makeCSV(agency) {
  clearError();
  const list = items();
  if (list.length === 0) {
    showError(new Error("There are no results to put in a CSV."));
    return;
  }
  try {
    const { blob, name } = await api.renderCSV(agency.name, list);
    offer(el.csvLinks, agency.name, blob, name, `Download ${name} (${agency.display_name || agency.name})`);
  } catch (err) {
    showError(err);
  }
}

function baseName(name) {
  const i = name.lastIndexOf(".");
  return i > 0 ? name.slice(0, i) : name;
}

async function makeXMP(f) {
  clearError();
  try {
    const { blob } = await api.renderXMP(f.item);
    const name = `${baseName(f.name)}.xmp`;
    offer($(".file-downloads .links", f.card), "xmp", blob, name, `Download ${name}`);
  } catch (err) {
    showError(err);
  }
}

async function makeJPEG(f) {
  clearError();
  try {
    const { blob } = await api.renderJPEG(f.item, f.file);
    offer($(".file-downloads .links", f.card), "jpeg", blob, f.name, `Download ${f.name} with metadata`);
  } catch (err) {
    showError(err);
  }
}

// ---- privacy ----------------------------------------------------------------------

async function exportData() {
  clearError();
  try {
    const { blob, name } = await api.exportData();
    offer(el.exportLinks, "export", blob, name, `Download ${name}`);
  } catch (err) {
    showError(err);
  }
}

function askErase() {
  clearError();
  el.eraseDialog.returnValue = "";
  el.eraseDialog.showModal();
}

async function erase() {
  let report;
  try {
    report = await api.erase();
  } catch (err) {
    showError(err);
    el.eraseButton.focus();
    return;
  }
  const deleted = Object.values(report.deleted || {}).reduce((s, n) => s + n, 0);
  const when = report.erased_at ? new Date(report.erased_at).toLocaleString() : "now";
  let text = `Your data was erased (${when}): ${plural(deleted, "record", "records")} deleted.`;
  const kept = (report.kept || []).filter((k) => k.count > 0);
  if (kept.length) {
    text += " Kept because the law requires it: " +
      kept
        .map((k) => `${k.count} ${k.kind}${k.until ? ` until ${new Date(k.until).toLocaleDateString()}` : ""}`)
        .join(", ") +
      ".";
  }
  for (const note of report.notes || []) text += ` Note: ${note}.`;
  el.erasedState.textContent = text;
  el.erasedState.hidden = false;
  el.erasedState.tabIndex = -1;
  el.erasedState.dataset.erased = "true";
  el.erasedState.focus();
  for (const a of el.exportLinks.querySelectorAll("a")) {
    URL.revokeObjectURL(a.href);
    a.remove();
  }
  refreshAccount();
  refreshHistory();
}

async function saveConsent(e) {
  e.preventDefault();
  clearError();
  const form = el.consentForm;
  const c = {
    ad_user_data: form.elements.ad_user_data.value,
    ad_personalization: form.elements.ad_personalization.value,
    opted_out: form.elements.opted_out.checked,
  };
  try {
    const contact = await api.consent(c);
    const parts = [`use of data for ads: ${contact.ad_user_data}`, `personalised ads: ${contact.ad_personalization}`];
    if (contact.opted_out) parts.push("opted out of customer lists");
    el.consentStatus.textContent = `Saved: ${parts.join(", ")}.`;
  } catch (err) {
    el.consentStatus.textContent = "";
    showError(err);
  }
}

// ---- sign-in and start ------------------------------------------------------------

async function signIn(e) {
  e.preventDefault();
  clearError();
  const token = el.token.value.trim();
  if (!token) return;
  try {
    await api.signIn(token);
  } catch (err) {
    showError(err);
    el.token.focus();
    return;
  } finally {
    el.token.value = "";
  }
  await boot();
}

async function signOut() {
  try {
    await api.signOut();
  } catch (err) {
    showError(err);
    return;
  }
  resetBatch();
  el.app.hidden = true;
  el.summary.hidden = true;
  el.signout.hidden = true;
  el.signin.hidden = false;
  el.token.focus();
}

async function boot() {
  let acc;
  try {
    acc = await api.account();
  } catch (err) {
    el.loading.hidden = true;
    if (err.status === 401) {
      el.signin.hidden = false;
      el.app.hidden = true;
      el.token.focus();
      return;
    }
    showError(err);
    return;
  }
  renderAccount(acc);
  try {
    const answer = await api.agencies();
    state.agencies = answer.agencies || [];
  } catch (err) {
    showError(err);
  }
  renderAgencies();
  el.loading.hidden = true;
  el.signin.hidden = true;
  el.app.hidden = false;
  document.body.dataset.ready = "true";
  refreshHistory();
  refreshPacks();
}

function listen() {
  el.signinForm.addEventListener("submit", signIn);
  el.signout.addEventListener("click", signOut);
  el.fileInput.addEventListener("change", () => {
    addFiles([...el.fileInput.files]);
    el.fileInput.value = "";
  });
  el.folderInput.addEventListener("change", () => {
    addFiles([...el.folderInput.files]);
    el.folderInput.value = "";
  });
  el.dropzone.addEventListener("dragover", (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = state.phase === "uploading" || state.phase === "running" ? "none" : "copy";
    el.dropzone.classList.add("over");
  });
  el.dropzone.addEventListener("dragleave", () => el.dropzone.classList.remove("over"));
  el.dropzone.addEventListener("drop", async (e) => {
    e.preventDefault();
    el.dropzone.classList.remove("over");
    addFiles(await filesOfDrop(e.dataTransfer));
  });
  // A drop beside the zone must not open the file in the tab.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  el.optionsForm.addEventListener("submit", (e) => e.preventDefault());
  el.optionsForm.addEventListener("change", () => {
    renderAgencyLimits();
    estimate();
    for (const f of state.files) {
      if (f.item) {
        renderChips(f);
        checkLimits(f);
      }
    }
  });
  el.start.addEventListener("click", startJob);
  el.clear.addEventListener("click", () => {
    resetBatch();
    el.fileInput.focus();
  });
  el.historyRefresh.addEventListener("click", refreshHistory);
  el.exportButton.addEventListener("click", exportData);
  el.eraseButton.addEventListener("click", askErase);
  el.eraseDialog.addEventListener("close", () => {
    if (el.eraseDialog.returnValue === "erase") erase();
    else el.eraseButton.focus();
  });
  el.consentForm.addEventListener("submit", saveConsent);
}

listen();
boot();
