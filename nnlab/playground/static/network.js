// nnlab playground: the network view (features, neurons, links, hover cards, editing).
// Loaded after playground.js, whose globals (app, $, set, send, OPTIONS) it uses.
"use strict";

const NODE = 30, ROW = 44, COL = 120, TOP = 58;

function activeFeatures() { return Object.keys(app.info.features).filter(k => app.state[k]); }

function nodePos(layer, index) {  // layer 0 = inputs (index over all 7 features)
  return {x: layer * COL, y: TOP + index * ROW};
}

function buildNetwork() {
  const net = $("network"), s = app.state, feats = Object.keys(app.info.features);
  for (const el of net.querySelectorAll(".node, .layer-ctl, .bias")) el.remove();
  const active = activeFeatures(), L = s.networkShape.length;
  $("num-layers").textContent = L;
  $("layers-label").textContent = L === 1 ? "HIDDEN LAYER" : "HIDDEN LAYERS";
  app.nodes = [active.map(k => nodePos(0, feats.indexOf(k)))];
  feats.forEach((key, i) => {
    const el = makeNode(nodePos(0, i), "input-" + key, "feature" + (s[key] ? "" : " inactive"));
    el.dataset.hide = key;
    el.classList.toggle("hidden", s.hidden.includes(key));
    const [label, what] = app.info.features[key];
    el.title = `${label}: ${what}. Click to switch this input ${s[key] ? "off" : "on"}.`;
    el.insertAdjacentHTML("beforeend", `<span class="feature-label">${label}</span>`);
    Draw.paint(el.querySelector("canvas"), app.info.featureThumbs[key], 10, 255);
    el.addEventListener("click", () => set(key, !s[key]));
  });
  const nOut = app.info.classes.length > 2 && s.problem !== "regression" ? app.info.classes.length : 1;
  const sizes = [...s.networkShape, nOut];
  sizes.forEach((n, l) => {
    const layer = l + 1, out = l === L, col = [];
    for (let i = 0; i < n; i++) {
      const p = nodePos(layer, i);
      col.push(p);
      const el = makeNode(p, `node-${layer}-${i}`, out ? "output-node" : "neuron");
      el.addEventListener("mouseenter", () => hoverNode(layer, i, el));
      el.addEventListener("mouseleave", () => hoverNode(null));
      const bias = document.createElement("div");
      bias.className = "bias"; bias.id = `bias-${layer}-${i}`;
      bias.style.left = (p.x - 7) + "px"; bias.style.top = (p.y + NODE - 3) + "px";
      bias.addEventListener("mouseenter", () => showCard(bias, "bias", {type: "bias", layer: l, node: i}));
      bias.addEventListener("click", e => editCard(e));
      net.appendChild(bias);
    }
    app.nodes.push(col);
    if (!out) {
      const ctl = document.createElement("div");
      ctl.className = "layer-ctl"; ctl.style.left = (layer * COL - 20) + "px";
      ctl.innerHTML = `<button class="layer-add" title="Add a neuron">+</button>` +
        `<button class="layer-remove" title="Remove a neuron">&minus;</button>` +
        `<div>${n} neuron${n === 1 ? "" : "s"}</div>` +
        `<select class="layer-activation" title="This layer's activation (beyond Playground)">` +
        OPTIONS.activations.map(([v, t]) => `<option value="${v}">${t}</option>`).join("") + `</select>`;
      ctl.querySelector(".layer-add").addEventListener("click", () => changeShape(l, +1));
      ctl.querySelector(".layer-remove").addEventListener("click", () => changeShape(l, -1));
      const sel = ctl.querySelector("select");
      sel.value = (s.activations[l] || s.activation);
      sel.addEventListener("change", () => {
        const acts = s.networkShape.map((_, k) => s.activations[k] || s.activation);
        acts[l] = sel.value;
        set("activations", acts.join(","));
      });
      net.appendChild(ctl);
    }
  });
  const height = TOP + Math.max(7, ...sizes) * ROW;
  net.style.height = height + "px";
  net.style.width = ((L + 1) * COL + NODE + 10) + "px";
  buildLinks(height);
}

function makeNode(p, id, cls) {
  const el = document.createElement("div");
  el.className = "node " + cls; el.id = id;
  el.style.left = p.x + "px"; el.style.top = p.y + "px";
  const c = document.createElement("canvas");
  c.width = c.height = 10;
  el.appendChild(c);
  $("network").appendChild(el);
  return el;
}

function buildLinks(height) {
  const svg = $("svg");
  svg.setAttribute("width", $("network").style.width); svg.setAttribute("height", height);
  svg.innerHTML = "";
  app.links = [];
  for (let l = 0; l + 1 < app.nodes.length; l++) {
    const row = [];
    app.nodes[l].forEach((a, i) => {
      const cells = [];
      app.nodes[l + 1].forEach((b, j) => {
        const x1 = a.x + NODE, y1 = a.y + NODE / 2, x2 = b.x, y2 = b.y + NODE / 2, mx = (x1 + x2) / 2;
        const d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", d); path.setAttribute("class", "link"); path.id = `link-${l}-${i}-${j}`;
        const hit = document.createElementNS("http://www.w3.org/2000/svg", "path");
        hit.setAttribute("d", d); hit.setAttribute("class", "link-hover");
        const edit = {type: "weight", layer: l, source: i, dest: j};
        hit.addEventListener("mouseenter", () => showCard(hit, "weight", edit));
        hit.addEventListener("click", e => editCard(e));
        svg.appendChild(path); svg.appendChild(hit);
        cells.push(path);
      });
      row.push(cells);
    });
    app.links.push(row);
  }
}

function paramValue(edit) {
  const f = app.frame;
  if (!f || !f.weights) return null;
  return edit.type === "weight" ? f.weights[edit.layer][edit.source][edit.dest]
                                : f.biases[edit.layer][edit.node];
}

function showCard(el, what, edit) {
  const v = paramValue(edit);
  if (v === null) return;
  const card = $("hovercard"), r = el.getBoundingClientRect();
  app.card = edit;
  $("hovercard-text").textContent = `${what === "weight" ? "Weight" : "Bias"} is ${Number(v.toPrecision(2))}`;
  $("hovercard-input").classList.add("hidden");
  card.style.left = (r.left + r.width / 2 + window.scrollX) + "px";
  card.style.top = (r.top + r.height / 2 + window.scrollY) + "px";
  card.classList.remove("hidden");
}

function editCard(e) {  // Playground: click the value to type a new one, Enter commits
  e.stopPropagation();
  if (!app.card) return;
  app.editing = app.card;
  const input = $("hovercard-input");
  input.value = paramValue(app.editing);
  input.classList.remove("hidden");
  input.focus(); input.select();
}

function hideCard() { $("hovercard").classList.add("hidden"); app.editing = null; }
document.addEventListener("click", e => { if (!$("hovercard").contains(e.target)) hideCard(); });

function formula(layer, index) {
  const f = app.frame, s = app.state;
  if (!f || !f.weights) return "";
  const names = layer === 1 ? activeFeatures().map(k => app.info.features[k][0])
    : Array.from({length: s.networkShape[layer - 2]}, (_, k) => `h${layer - 1},${k + 1}`);
  const act = layer > s.networkShape.length ? (s.problem === "regression" ? "linear" : "output")
    : (s.activations[layer - 1] || s.activation);
  const terms = f.weights[layer - 1].map((row, k) => `${row[index].toFixed(2)}·${names[k]}`);
  return `${act}(${terms.join(" + ")} + ${f.biases[layer - 1][index].toFixed(2)})`;
}

function hoverNode(layer, index, el) {
  app.hover = layer === null ? null : [layer, index];
  if (el) el.title = "This is the output from one neuron. Hover to see it larger.\n" + formula(layer, index);
  send({type: "hover", node: app.hover && app.hover[0] <= app.state.networkShape.length ? app.hover : null});
}

