// nnlab playground: the page. It sends the user's choices to the server and draws what
// comes back; every setting is validated and applied by the server (nnlab.playground).
"use strict";

const OPTIONS = {
  learningRate: ["0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10"],
  activations: [["relu", "ReLU"], ["tanh", "Tanh"], ["sigmoid", "Sigmoid"], ["linear", "Linear"]],
  regularizations: [["none", "None"], ["L1", "L1"], ["L2", "L2"]],
  regularRate: ["0", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10"],
  problem: [["classification", "Classification"], ["regression", "Regression"]],
  loss: [["square", "Square error (Playground)"], ["crossentropy", "Cross-entropy"]],
  optimizer: [["playground", "Playground's SGD"], ["sgd", "SGD"], ["momentum", "Momentum"],
    ["nesterov", "Nesterov"], ["adam", "Adam"], ["rmsprop", "RMSprop"], ["adagrad", "Adagrad"],
    ["adadelta", "Adadelta"]],
  dropout: ["0", "0.1", "0.2", "0.3", "0.5"],
};
const SELECT_KEYS = {learningRate: "learningRate", activations: "activation",
  regularizations: "regularization", regularRate: "regularizationRate", problem: "problem",
  loss: "loss", optimizer: "optimizer", dropout: "dropout"};
const DATASETS = [["circle", "Circle"], ["xor", "Exclusive or"], ["gauss", "Gaussian"],
  ["spiral", "Spiral"], ["spiral3", "3-arm spiral (3 classes)"], ["blobs", "4 blobs (4 classes)"]];
const REG_DATASETS = [["reg-plane", "Plane"], ["reg-gauss", "Multi gaussian"]];
const HIDABLE = ["showTestData", "discretize", "playButton", "stepButton", "resetButton",
  "learningRate", "activation", "regularization", "regularizationRate", "problem", "dataset",
  "percTrainData", "noise", "batchSize", "numHiddenLayers", "x", "y", "xSquared", "ySquared",
  "xTimesY", "sinX", "sinY"];

const $ = id => document.getElementById(id);
const app = {ws: null, state: null, info: null, data: null, frame: null, history: [],
  playing: false, pending: false, clock0: 0, ticked: 0, shape: "", hover: null, stats: {epochs: 0, frames: 0,
  draws: 0, t0: 0}, ready: false};
window.nnlabPlayground = app;

function send(msg) {
  if (app.ws && app.ws.readyState === 1) app.ws.send(JSON.stringify(msg));
}
function set(key, value) { send({type: "set", key, value}); }

function fillSelect(id, items) {
  $(id).innerHTML = items.map(it => Array.isArray(it) ? `<option value="${it[0]}">${it[1]}</option>`
    : `<option value="${it}">${it}</option>`).join("");
  $(id).addEventListener("change", () => set(SELECT_KEYS[id], $(id).value));
}

function buildStatic() {
  for (const id in OPTIONS) fillSelect(id, OPTIONS[id]);
  const ds = $("datasets");
  for (const [key, label] of [...DATASETS, ...REG_DATASETS]) {
    const el = document.createElement("canvas");
    el.width = el.height = 100; el.className = "dataset"; el.id = "dataset-" + key;
    el.title = label; el.dataset.key = key;
    el.addEventListener("click", () => set(key.startsWith("reg-") ? "regDataset" : "dataset", key));
    ds.appendChild(el);
  }
  for (const key of ["percTrainData", "noise", "batchSize"]) {
    $(key).addEventListener("input", () => { $(key + "-value").textContent = $(key).value; });
    $(key).addEventListener("change", () => set(key, $(key).value));
  }
  $("show-test-data").addEventListener("change", e => set("showTestData", e.target.checked));
  $("discretize").addEventListener("change", e => set("discretize", e.target.checked));
  $("largeLimits").addEventListener("change", e => set("largeLimits", e.target.checked));
  $("hideText").addEventListener("change", e => set("hideText", e.target.checked));
  $("stopEpoch").addEventListener("change", e => set("stopEpoch", e.target.value || "0"));
  $("play-pause-button").addEventListener("click", () => setPlaying(!app.playing));
  $("next-step-button").addEventListener("click", () => { setPlaying(false); send({type: "step", epochs: 1}); });
  $("reset-button").addEventListener("click", () => send({type: "reset"}));
  $("data-regen-button").addEventListener("click", () => send({type: "regenerate"}));
  $("add-layers").addEventListener("click", () => changeShape(-1, +1));
  $("remove-layers").addEventListener("click", () => changeShape(-1, -1));
  $("download-data").addEventListener("click", () => send({type: "export", what: "csv"}));
  $("export-model").addEventListener("click", () => send({type: "export", what: "model"}));
  $("export-script").addEventListener("click", () => send({type: "export", what: "script"}));
  $("upload").addEventListener("change", async e => {
    const file = e.target.files[0];
    if (!file) return;
    if (file.size > 2000000) { showError("The CSV is larger than 2 MB."); return; }
    send({type: "upload", csv: await file.text()});
    e.target.value = "";
  });
  $("classroom").innerHTML = HIDABLE.map(k =>
    `<label><input type="checkbox" data-control="${k}"> hide ${k}</label>`).join(" ");
  $("classroom").addEventListener("change", e =>
    send({type: "hide", control: e.target.dataset.control, hidden: e.target.checked}));
  Draw.legend($("legend-bar"));
  const input = $("hovercard-input");
  input.addEventListener("keydown", e => {
    if (e.key !== "Enter" || !app.editing) return;
    const value = Number(input.value);
    if (!Number.isFinite(value)) { showError("Type a number."); return; }
    send({...app.editing, value});
    hideCard();
  });
}

function limits() {
  return app.state.largeLimits ? {layers: 10, neurons: 32} : {layers: 6, neurons: 8};
}
// layer -1: add/remove a hidden layer (new ones start with 2 neurons); else a neuron.
function changeShape(layer, delta) {
  const shape = [...app.state.networkShape], lim = limits();
  if (layer < 0) {
    if (delta > 0 && shape.length < lim.layers) shape.push(2);
    if (delta < 0 && shape.length > 0) shape.pop();
  } else {
    shape[layer] = Math.max(1, Math.min(lim.neurons, shape[layer] + delta));
  }
  set("networkShape", shape.join(","));
}

function setPlaying(on) {
  app.playing = on;
  $("play-pause-button").classList.toggle("playing", on);
  $("play-pause-button").innerHTML = on ? "&#10073;&#10073;" : "&#9654;";
  if (on) {
    app.stats = {epochs: 0, frames: 0, draws: 0, t0: performance.now()};
    app.clock0 = performance.now(); app.ticked = 0;
    loop();
  }
}

// Playground runs one epoch per frame of a 60 Hz display. Play here runs a 60 Hz epoch
// clock: each request asks for the epochs it has ticked since the last request (at least
// one, so every drawn frame shows a new epoch; at most 30, and a longer backlog, from a
// hidden tab or a slow machine, is dropped). A browser that draws fewer than 60 frames per
// second, or a round trip longer than a frame, still trains 60 epochs per second.
function loop() {
  if (!app.playing) return;
  if (!app.pending) {
    const ticks = Math.floor((performance.now() - app.clock0) * 0.06);
    const epochs = Math.max(1, Math.min(30, ticks - app.ticked));
    app.ticked = Math.max(app.ticked + epochs, ticks - 30);
    app.pending = true;
    send({type: "step", epochs: epochs});
  }
  requestAnimationFrame(loop);
}

function showError(text) {
  $("error").textContent = text;
  clearTimeout(app.errorTimer);
  app.errorTimer = setTimeout(() => { $("error").textContent = ""; }, 8000);
}

function pad(n) { return String(n).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2"); }
function fmt(v) { return v === null || v === undefined ? "-" : v.toFixed(3); }

// ---- replies from the server ----------------------------------------------------
function onState(msg) {
  const s = msg.state, first = !app.state;
  app.state = s; app.info = msg;
  history.replaceState(null, "", "#" + msg.fragment);
  for (const id in SELECT_KEYS) $(id).value = String(s[SELECT_KEYS[id]]);
  $("noise").max = s.noise > 50 ? 80 : 50;  // Playground widens the slider for URL values
  $("batchSize").max = Math.max(30, s.batchSize);
  for (const key of ["percTrainData", "noise", "batchSize"]) {
    $(key).value = s[key]; $(key + "-value").textContent = s[key];
  }
  $("show-test-data").checked = s.showTestData;
  $("discretize").checked = s.discretize;
  $("largeLimits").checked = s.largeLimits;
  $("hideText").checked = s.hideText;
  $("stopEpoch").value = s.stopEpoch;
  $("rule").textContent = msg.rule;
  $("rule").className = msg.playgroundRule ? "rule-playground" : "rule-fit";
  $("warnings").textContent = msg.warnings.join(" ");
  document.body.classList.toggle("hide-text", s.hideText);
  for (const el of document.querySelectorAll("[data-hide]")) {
    el.classList.toggle("hidden", s.hidden.includes(el.dataset.hide));
  }
  for (const box of document.querySelectorAll("#classroom input")) {
    box.checked = s.hidden.includes(box.dataset.control);
  }
  for (const el of document.querySelectorAll(".dataset")) {
    const chosen = s.problem === "regression" ? s.regDataset : s.dataset;
    el.classList.toggle("selected", el.dataset.key === chosen && !msg.uploaded);
    el.classList.toggle("hidden", (s.problem === "regression") !== el.dataset.key.startsWith("reg-"));
  }
  const multi = msg.classes.length > 2 && s.problem !== "regression";
  $("loss").disabled = s.problem === "regression" || multi;
  if (multi) $("loss").value = "crossentropy";  // several classes: softmax + cross-entropy
  const shape = JSON.stringify([s.networkShape, s.activations, s.activation, msg.classes.length, Object.keys(msg.features).filter(k => s[k])]);
  if (shape !== app.shape) { app.shape = shape; buildNetwork(); }
  if (first) drawDatasetThumbs();
  drawPoints();
}

function onData(msg) {
  app.data = msg;
  drawPoints();
}

function onFrame(msg) {
  if (msg.epoch < (app.frame ? app.frame.epoch : 0) || msg.epoch === 0) app.history = [];
  if (msg.losses) app.history.push(...msg.losses);  // one [train, test] per epoch
  if (app.frame && msg.epoch > app.frame.epoch) app.stats.epochs += msg.epoch - app.frame.epoch;
  app.frame = msg;
  app.stats.frames++;
  app.pending = false;
  if (msg.stopped && app.playing) setPlaying(false);
  requestAnimationFrame(drawFrame);
}

function onFile(msg) {
  const blob = msg.base64 ? new Blob([Draw.bytes(msg.base64)], {type: msg.mime})
                          : new Blob([msg.text], {type: msg.mime});
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob); a.download = msg.name;
  document.body.appendChild(a); a.click(); a.remove();
}

// ---- drawing ----------------------------------------------------------------------
function drawDatasetThumbs() {
  // Playground's thumbnails: 200 points of each set at noise 0, 4x4 px squares.
  for (const el of document.querySelectorAll(".dataset")) {
    const ctx = el.getContext("2d"), key = el.dataset.key, multi = key === "spiral3" || key === "blobs";
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 100, 100);
    for (const [x, y, v] of app.info.datasetThumbs[key]) {
      ctx.fillStyle = Draw.css(multi ? Draw.CLASS_COLORS[v] : Draw.color(v));
      ctx.fillRect((x + 6) / 12 * 100 - 2, (6 - y) / 12 * 100 - 2, 4, 4);
    }
  }
}

function drawPoints() {
  if (!app.data || !app.state) return;
  const classes = app.info.classes.length;
  Draw.points($("points"), app.data, app.state.showTestData, app.state.problem === "regression", classes);
}

function drawFrame() {
  const f = app.frame;
  if (!f) return;
  app.stats.draws++;
  $("iter-number").textContent = pad(f.epoch);
  $("loss-train").textContent = fmt(f.lossTrain);
  $("loss-test").textContent = fmt(f.lossTest);
  if (!f.output) return;
  const hovering = f.hoverMap && app.hover;
  Draw.paint($("heatmap"), hovering ? f.hoverMap : f.output, 100, 160, hovering ? null : f.classMap);
  f.thumbs.forEach((layer, l) => layer.forEach((b64, i) => {
    const el = $(`node-${l + 1}-${i}`);
    if (el) Draw.paint(el.querySelector("canvas"), b64, 10, 255);
  }));
  const outNode = $(`node-${app.state.networkShape.length + 1}-0`);
  if (outNode && !f.classMap) {  // one output: its full 100 x 100 picture
    if (outNode.firstChild.width !== 100) outNode.firstChild.width = outNode.firstChild.height = 100;
    Draw.paint(outNode.querySelector("canvas"), f.output, 100, 255);
  }
  f.weights.forEach((W, l) => W.forEach((row, i) => row.forEach((w, j) => {
    const p = app.links[l] && app.links[l][i] && app.links[l][i][j];
    if (!p) return;
    p.style.stroke = Draw.css(Draw.color(w));
    p.style.strokeWidth = Draw.linkWidth(w) + "px";
    p.style.strokeDashoffset = -f.epoch / 3;
    p.classList.toggle("dead", !!f.dead[l][i][j]);
  })));
  f.biases.forEach((b, l) => b.forEach((v, i) => {
    const el = $(`bias-${l + 1}-${i}`);
    if (el) el.style.background = Draw.css(Draw.color(v));
  }));
  Draw.chart($("linechart"), app.history);
  drawMetrics(f);
  $("warnings").textContent = app.info.warnings.join(" ") +
    (f.oscillating ? " The training loss is not falling: the learning rate is too high." : "");
}

function drawMetrics(f) {
  const m = f.metrics || {};
  if (m.r2 !== undefined) { $("metrics").innerHTML = `R² (test) <span id="r2">${fmt(m.r2)}</span>`; return; }
  if (m.accuracy === undefined) { $("metrics").innerHTML = ""; return; }
  const names = app.info.classes.length ? app.info.classes : ["-1", "+1"];
  const head = names.map(n => `<th>${n}</th>`).join("");
  const rows = m.confusion.map((r, i) => `<tr><th>${names[i] ?? i}</th>${r.map(c => `<td>${c}</td>`).join("")}</tr>`).join("");
  $("metrics").innerHTML = `Accuracy (test) <span id="accuracy">${(100 * m.accuracy).toFixed(1)}%</span>` +
    `<table id="confusion"><caption>Confusion matrix: rows true, columns predicted</caption>` +
    `<tr><th></th>${head}</tr>${rows}</table>`;
}

// ---- start ------------------------------------------------------------------------
function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  app.ws = ws;
  ws.onopen = () => send({type: "init", fragment: location.hash});
  ws.onmessage = ev => {
    for (const msg of JSON.parse(ev.data)) {
      if (msg.type === "state") onState(msg);
      else if (msg.type === "data") onData(msg);
      else if (msg.type === "frame") onFrame(msg);
      else if (msg.type === "file") onFile(msg);
      else if (msg.type === "error") { app.pending = false; showError(msg.message); }
    }
    if (!app.ready && app.frame) {
      app.ready = true;
      if (/(^#|&)play=true(&|$)/.test(app.startHash)) setPlaying(true);
    }
  };
  ws.onclose = () => { setPlaying(false); showError("The connection to nnlab closed; restart `nnlab playground` and reload."); };
}

app.startHash = location.hash;
window.addEventListener("DOMContentLoaded", () => { buildStatic(); connect(); });
