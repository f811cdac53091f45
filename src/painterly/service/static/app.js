"use strict";
// The page talks only to the REST API: /api/models, /api/jobs, /api/jobs/{id}/events, …
const $ = (id) => document.getElementById(id);
let models = {};
let current = null;  // id of the job whose progress is shown
let source = null;   // its EventSource

// A server started with --token needs it on every API call: open the page as http://host:port/#token=…
const token = new URLSearchParams(location.hash.slice(1)).get("token") || sessionStorage.getItem("painterly-token") || "";
if (token) sessionStorage.setItem("painterly-token", token);
function api(path, options = {}) {
  if (token) options.headers = { ...(options.headers || {}), Authorization: `Bearer ${token}` };
  return fetch(path, options);
}
// Event streams and images cannot send headers: they carry the token in the query.
const withToken = (url) => token ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : url;

let trained = [];      // trained style models (GET /api/models → models)
let chosenModel = null;

async function loadModels() {
  const response = await api("/api/models");
  const listing = await response.json();
  models = listing.methods;
  trained = listing.models.filter((m) => m.kind === "stylenet");
  renderGallery();
  for (const model of trained) {
    const option = document.createElement("option");
    option.value = model.name; option.textContent = model.name;
    $("live-model").appendChild(option);
  }
  if (trained.some((m) => m.name === "hokusai_wave_stable")) $("live-model").value = "hokusai_wave_stable";
  for (const name of Object.keys(models)) {  // each method with its one line: speed, closeness, when to use it
    const option = document.createElement("option");
    option.value = name; option.textContent = name;
    option.title = models[name].summary;
    $("method").appendChild(option);
  }
  const guide = $("method-guide");
  for (const [name, method] of Object.entries(models)) {
    const item = document.createElement("li");
    item.textContent = method.summary;
    item.dataset.method = name;
    guide.appendChild(item);
  }
  $("method").value = "optimize" in models ? "optimize" : Object.keys(models)[0];
  renderSettings();
}

// The sliders shown per method; every other setting keeps its server-side default.
// "Style strength" is one 0–1 control for every method (each maps it to its own α, β or blend).
const SHOWN = {
  size: { min: 64, max: 4096, step: 32, value: 384, label: "Size (long side, px)" },
  strength: { min: 0, max: 1, step: 0.05, label: "Style strength" },
  quality: { label: "Quality" },
  preserve_color: { label: "Keep the photo's colours" },
};

function renderSettings() {
  const method = models[$("method").value];
  $("method-summary").textContent = method.summary;
  const box = $("settings");
  box.innerHTML = "";
  for (const field of method.settings) {
    const shown = SHOWN[field.name];
    if (!shown) continue;
    const label = document.createElement("label");
    label.textContent = shown.label + " ";
    let input;
    if (field.choices) {
      input = document.createElement("select");
      for (const choice of field.choices) {
        const option = document.createElement("option");
        option.value = choice; option.textContent = choice;
        input.appendChild(option);
      }
      input.value = field.default;
    } else {
      input = document.createElement("input");
      input.type = "range";
      input.min = shown.min; input.step = shown.step;
      // Sizes stop where this server's memory does (large results run in tiles), and at 4096 px.
      input.max = field.name === "size" ? Math.min(shown.max, method.max_size || shown.max) : shown.max;
      input.value = shown.value ?? field.default ?? shown.min;
      const output = document.createElement("output");
      output.textContent = input.value;
      input.addEventListener("input", () => { output.textContent = input.value; });
      label.appendChild(output);
    }
    input.name = field.name;
    input.dataset.setting = field.name;
    input.setAttribute("aria-label", shown.label);
    label.appendChild(input);
    box.appendChild(label);
  }
}

function renderGallery() {
  const gallery = $("model-gallery");
  if (!trained.length) return;
  gallery.innerHTML = "";
  for (const model of trained) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "model";
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", "false");
    // The model's own rendering of the sample photo (stored in the model file), then its name.
    const preview = model.previews && model.previews[0];
    if (preview) {
      const img = document.createElement("img");
      img.src = preview; img.alt = ""; img.width = 96; img.height = 96;
      button.appendChild(img);
    }
    // Named by the painting it learned (title, painter, year), as people know it; the model name below.
    const paintings = model.paintings || model.styles.map((style) => ({ title: style }));
    const caption = document.createElement("span");
    caption.className = "painting";
    caption.textContent = paintings.length > 1 ? `${paintings.length} paintings` : paintings[0].title;
    const credit = document.createElement("span");
    credit.className = "credit";
    credit.textContent = paintings.length > 1 ? paintings.map((p) => p.painter || p.title).join(", ")
      : [paintings[0].painter, paintings[0].year].filter(Boolean).join(", ");
    const name = document.createElement("span");
    name.className = "model-name";
    name.textContent = model.name;  // two models of one painting (e.g. one made for video) differ here
    button.title = paintings.map((p) => [p.title, p.painter, p.year, p.licence].filter(Boolean).join(" · ")).join("\n")
      + `\nmodel: ${model.name}`;
    button.append(caption, credit, name);
    button.dataset.model = model.name;
    button.addEventListener("click", () => {
      chosenModel = chosenModel === model.name ? null : model.name;
      for (const other of gallery.children) other.setAttribute("aria-checked", String(other === button && !!chosenModel));
      if (chosenModel) { $("method").value = "feedforward"; renderSettings(); }
    });
    gallery.appendChild(button);
  }
}

const isVideo = (file) => file.type.startsWith("video/");

function showPhoto(file) {
  const img = $("photo-preview"), video = $("video-preview");
  const shown = isVideo(file) ? video : img;
  img.hidden = video.hidden = true;
  shown.src = URL.createObjectURL(file); shown.hidden = false;
  if (shown === img) img.alt = "Chosen photo: " + file.name;
  $("photo-label").textContent = file.name;
}

function showStyles(files) {
  const list = $("style-list");
  list.innerHTML = "";
  for (const file of files) {
    const item = document.createElement("li");
    const img = document.createElement("img");
    img.src = URL.createObjectURL(file); img.alt = file.name;
    const label = document.createElement("label");
    label.textContent = "Weight of " + file.name;
    const weight = document.createElement("input");
    weight.type = "range"; weight.min = 0; weight.max = 1; weight.step = 0.05; weight.value = 1;
    weight.className = "style-weight";
    label.appendChild(weight);
    item.append(img, label);
    list.appendChild(item);
  }
}

function wireDrop(zoneId, inputId, onFiles) {
  const zone = $(zoneId), input = $(inputId);
  zone.tabIndex = 0;
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault(); zone.classList.remove("over");
    input.files = e.dataTransfer.files; onFiles(input.files);
  });
  input.addEventListener("change", () => onFiles(input.files));
}

const REFINE_STEPS = 10;
let submitted = {};  // job id → {method, settings} of what was sent, for "Refine"

async function submit(event, extra = {}) {
  event.preventDefault();
  $("form-error").textContent = "";
  const needsStyles = models[$("method").value].needs_style_images;
  if (!$("photo").files.length || (needsStyles && !$("styles").files.length)) {
    $("form-error").textContent = needsStyles ? "Choose a photo and at least one style image." : "Choose a photo.";
    return;
  }
  const body = new FormData();
  const chosen = $("photo").files[0];
  body.append(isVideo(chosen) ? "video" : "photo", chosen);
  if (needsStyles) for (const file of $("styles").files) body.append("styles", file);
  body.append("method", $("method").value);
  const settings = {};
  for (const input of document.querySelectorAll("[data-setting]")) {
    settings[input.dataset.setting] = input.type === "range" ? Number(input.value) : input.value;
  }
  if (!needsStyles && chosenModel) settings.model = chosenModel;
  Object.assign(settings, extra);
  body.append("settings", JSON.stringify(settings));
  const weights = [...document.querySelectorAll(".style-weight")].map((w) => w.value);
  if (needsStyles && weights.length > 1) body.append("style_weights", weights.join(","));
  $("submit").disabled = true;
  try {
    const response = await api("/api/jobs", { method: "POST", body });
    const job = await response.json();
    if (!response.ok) {
      const detail = typeof job.detail === "string" ? job.detail : JSON.stringify(job.detail);
      $("form-error").textContent = (job.field ? job.field + ": " : "") + detail;
      return;
    }
    submitted[job.id] = { method: $("method").value, settings };
    follow(job.id);
    // On a phone the progress is a screen or two below the button: bring it into view.
    $("progress-panel").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    $("form-error").textContent = "Could not reach the server: " + error;
  } finally {
    $("submit").disabled = false;
  }
}

function follow(id) {
  if (source) source.close();
  current = id;
  $("cancel").hidden = false;
  $("live-preview").hidden = true;
  source = new EventSource(withToken(`/api/jobs/${id}/events`));
  source.onmessage = (message) => {
    const job = JSON.parse(message.data);
    $("progress").value = job.progress;
    $("stage").textContent = `${job.state}: ${job.stage} (${Math.round(job.progress * 100)}%)`;
    if (job.preview_version) {
      $("live-preview").src = withToken(`/api/jobs/${id}/preview?v=${job.preview_version}`);
      $("live-preview").hidden = false;
    }
    if (["done", "failed", "cancelled"].includes(job.state)) {
      source.close(); $("cancel").hidden = true;
      if (job.state === "done") addResult(id, job.notes || [], job.kind).scrollIntoView({ behavior: "smooth", block: "center" });
      else $("stage").textContent = `${job.state}: ${job.error || ""}`;
    }
  };
}

function addResult(id, notes, kind = "image") {
  const item = document.createElement("li");
  // A video result plays in place, with its sound; an image shows as itself.
  const shown = document.createElement(kind === "video" ? "video" : "img");
  shown.src = withToken(`/api/jobs/${id}/result`);
  if (kind === "video") { shown.controls = true; shown.playsInline = true; shown.setAttribute("aria-label", "Stylized video " + id.slice(0, 8)); }
  else shown.alt = "Stylized result " + id.slice(0, 8);
  shown.className = "result";
  const link = document.createElement("a");
  link.href = shown.src; link.download = `painterly-${id.slice(0, 8)}.${kind === "video" ? "mp4" : "png"}`;
  link.textContent = "Download";
  item.append(shown, link);
  for (const text of notes) {  // e.g. "the result is enlarged 8.5× from the photo's 480×360"
    const note = document.createElement("p");
    note.className = "note"; note.textContent = text;
    item.append(note);
  }
  if (kind !== "video") {
    const compare = document.createElement("button");
    compare.type = "button"; compare.className = "compare"; compare.textContent = "Compare";
    compare.setAttribute("aria-label", "Compare with the photo, full size: result " + id.slice(0, 8));
    compare.addEventListener("click", () => openViewer(id));
    item.append(compare);
  }
  const sent = submitted[id];
  if (sent) item.append(settingsOf(sent), ...jobButtons(id, sent, item));
  // Fast preview, then refine: one-pass results can be sharpened by a few full-size Gatys steps.
  const canRefine = kind !== "video" && sent && models[sent.method].settings.some((f) => f.name === "refine") && !sent.settings.refine;
  if (canRefine) {
    const refine = document.createElement("button");
    refine.type = "button"; refine.className = "refine";
    refine.textContent = `Refine (${REFINE_STEPS} steps, a few seconds)`;
    refine.addEventListener("click", (event) => { $("method").value = sent.method; submit(event, { refine: REFINE_STEPS }); });
    item.append(refine);
  }
  $("gallery").prepend(item);
  return item;
}

// Full view: the result over its photo, a slider moving the line between them; "1:1" shows every pixel.
function openViewer(id) {
  $("viewer-result").src = withToken(`/api/jobs/${id}/result`);
  $("viewer-photo").src = withToken(`/api/jobs/${id}/photo`);
  $("viewer-split").value = 50;
  showSplit();
  $("viewer").classList.remove("actual");
  $("viewer-zoom").textContent = "1:1";
  $("viewer").hidden = false;
  $("viewer-split").focus();
}

function showSplit() {  // the photo shows left of the line, the result right of it
  $("viewer-photo").style.clipPath = `inset(0 ${100 - Number($("viewer-split").value)}% 0 0)`;
}

function closeViewer() {
  $("viewer").hidden = true;
}

// What made a result: the method and every setting sent, shown under it and reusable.
function settingsOf(sent) {
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = `Settings (${sent.method})`;
  const code = document.createElement("code");
  code.className = "settings";
  code.textContent = JSON.stringify(sent.settings);
  details.append(summary, code);
  return details;
}

function jobButtons(id, sent, item) {
  const again = document.createElement("button");
  again.type = "button"; again.className = "again"; again.textContent = "Use these settings";
  again.addEventListener("click", () => { applySettings(sent); $("job-form").scrollIntoView({ behavior: "smooth" }); });
  const remove = document.createElement("button");
  remove.type = "button"; remove.className = "delete"; remove.textContent = "Delete";
  remove.setAttribute("aria-label", "Delete result " + id.slice(0, 8));
  remove.addEventListener("click", async () => {
    const response = await api(`/api/jobs/${id}`, { method: "DELETE" });
    if (response.ok) item.remove();
  });
  return [again, remove];
}

// "Use these settings": the method, its settings and the trained model of an earlier job, back in the form.
function applySettings(sent) {
  if (!(sent.method in models)) return;
  $("method").value = sent.method;
  renderSettings();
  for (const input of document.querySelectorAll("[data-setting]")) {
    const value = sent.settings[input.dataset.setting];
    if (value === undefined || value === null) continue;
    input.value = value;
    input.dispatchEvent(new Event("input"));
  }
  chosenModel = sent.settings.model || null;
  for (const button of $("model-gallery").querySelectorAll("button.model")) {
    button.setAttribute("aria-checked", String(button.dataset.model === chosenModel));
  }
}

// The results this server still holds (newest first), so a reload keeps the gallery.
async function loadHistory() {
  const response = await api("/api/jobs?limit=24&state=done");
  if (!response.ok) return;
  const { jobs } = await response.json();
  for (const job of jobs.reverse()) {  // oldest first: each is prepended
    submitted[job.id] = { method: job.method, settings: job.settings };
    addResult(job.id, job.notes || [], job.kind);
  }
}

// Live camera: frames to /api/live over a WebSocket, one in flight at a time, stylized frames back.
let live = null;  // {stream, socket}
window.liveFrames = 0;  // frames shown so far (read by the browser test and the live benchmark)
window.liveFps = 0;

async function startLive() {
  $("live-status").textContent = "Starting the camera…";
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: false });
  } catch (error) {
    $("live-status").textContent = "No camera: " + error.message;
    return;
  }
  const camera = $("camera");
  camera.srcObject = stream;
  await camera.play();
  const canvas = document.createElement("canvas");
  canvas.width = camera.videoWidth || 640; canvas.height = camera.videoHeight || 360;
  const context = canvas.getContext("2d");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + withToken("/api/live"));
  socket.binaryType = "blob";
  live = { stream, socket };
  $("live-start").hidden = true; $("live-stop").hidden = false;
  let times = [];
  const sendFrame = () => {
    if (!live || socket.readyState !== WebSocket.OPEN) return;
    context.drawImage(camera, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => blob && socket.readyState === WebSocket.OPEN && socket.send(blob), "image/jpeg", 0.85);
  };
  socket.onopen = () => socket.send(JSON.stringify({ model: $("live-model").value, size: Math.max(canvas.width, canvas.height) }));
  socket.onmessage = (message) => {
    if (typeof message.data === "string") {
      const info = JSON.parse(message.data);
      if (info.error) { $("live-status").textContent = "Stopped: " + info.error; stopLive(); return; }
      $("live-status").textContent = `${info.model} at ${canvas.width}×${canvas.height}…`;
      sendFrame();
      return;
    }
    const output = $("live-output");
    const previous = output.src;
    output.src = URL.createObjectURL(message.data); output.hidden = false;
    if (previous) URL.revokeObjectURL(previous);
    const now = performance.now();
    times = times.filter((t) => now - t < 2000).concat(now);
    window.liveFrames += 1;
    window.liveFps = times.length > 1 ? (times.length - 1) / ((now - times[0]) / 1000) : 0;
    $("live-status").textContent = `${$("live-model").value}: ${window.liveFps.toFixed(1)} frames/s at ${canvas.width}×${canvas.height}`;
    sendFrame();
  };
  socket.onclose = () => { if (live) stopLive(); };
}

function stopLive() {
  if (!live) return;
  const { stream, socket } = live;
  live = null;
  for (const track of stream.getTracks()) track.stop();
  if (socket.readyState <= WebSocket.OPEN) socket.close();
  $("live-start").hidden = false; $("live-stop").hidden = true;
}

$("viewer-split").addEventListener("input", showSplit);
$("viewer-close").addEventListener("click", closeViewer);
$("viewer-zoom").addEventListener("click", () => {
  const actual = $("viewer").classList.toggle("actual");
  $("viewer-zoom").textContent = actual ? "Fit" : "1:1";
});
document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !$("viewer").hidden) closeViewer(); });
$("live-start").addEventListener("click", startLive);
$("live-stop").addEventListener("click", stopLive);
$("method").addEventListener("change", renderSettings);
$("job-form").addEventListener("submit", submit);
$("cancel").addEventListener("click", () => current && api(`/api/jobs/${current}`, { method: "DELETE" }));
wireDrop("photo-drop", "photo", (files) => files.length && showPhoto(files[0]));
wireDrop("style-drop", "styles", showStyles);
loadModels().then(loadHistory);
