// nnlab playground: drawing only (heatmaps, thumbnails, network, loss chart).
// The numbers come from the server; nothing here computes the network.
"use strict";

const Draw = (() => {
  const ORANGE = [0xf5, 0x93, 0x22], GREY = [0xe8, 0xea, 0xeb], BLUE = [0x08, 0x77, 0xbd];
  const CLASS_COLORS = [[0xf5, 0x93, 0x22], [0x08, 0x77, 0xbd], [0x2c, 0xa0, 0x2c],
    [0x94, 0x67, 0xbd], [0xd6, 0x27, 0x28], [0x8c, 0x56, 0x4b], [0xe3, 0x77, 0xc2],
    [0x7f, 0x7f, 0x7f]];

  function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }

  // Value in [-1, 1] -> colour: orange -> grey -> blue (clamped).
  function color(v) {
    v = Math.max(-1, Math.min(1, v));
    return v < 0 ? mix(GREY, ORANGE, -v) : mix(GREY, BLUE, v);
  }
  // Playground's 31 quantised shades (band i = colour at -1 + 2 i / 30).
  const SHADES = Array.from({length: 31}, (_, i) => color(-1 + 2 * i / 30));
  const css = (c, a) => a === undefined ? `rgb(${c[0]},${c[1]},${c[2]})`
                                      : `rgba(${c[0]},${c[1]},${c[2]},${a})`;

  function bytes(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // Paint an n x n canvas from shade bands (and optional class indices).
  function paint(canvas, b64, n, alpha, classB64) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, n), px = img.data;
    const band = bytes(b64), cls = classB64 ? bytes(classB64) : null;
    for (let i = 0; i < n * n; i++) {
      let c;
      if (cls) {  // several classes: the class colour, paler where the network is unsure
        c = mix(GREY, CLASS_COLORS[cls[i] % CLASS_COLORS.length], band[i] / 30);
      } else {
        c = SHADES[band[i]];
      }
      px[4 * i] = c[0]; px[4 * i + 1] = c[1]; px[4 * i + 2] = c[2]; px[4 * i + 3] = alpha;
    }
    ctx.putImageData(img, 0, 0);
  }

  function pointColor(label, regression, nClasses) {
    const n = CLASS_COLORS.length;
    if (nClasses > 2) return css(CLASS_COLORS[((label % n) + n) % n]);
    return css(regression ? color(label) : (label > 0 ? BLUE : ORANGE));
  }

  // Training points (white outline) and, when asked, test points (black outline).
  function points(canvas, data, showTest, regression, nClasses) {
    const ctx = canvas.getContext("2d"), w = canvas.width;
    ctx.clearRect(0, 0, w, w);
    const draw = (rows, stroke) => {
      for (const [x, y, label] of rows) {
        if (x < -6 || x > 6 || y < -6 || y > 6) continue;
        ctx.beginPath();
        ctx.arc((x + 6) / 12 * w, (6 - y) / 12 * w, 3, 0, 2 * Math.PI);
        ctx.fillStyle = pointColor(label, regression, nClasses);
        ctx.fill();
        ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
      }
    };
    draw(data.train, "white");
    if (showTest) draw(data.test, "black");
  }

  // Loss chart: training in grey, test in black; y from the smallest to the largest seen.
  function chart(canvas, history) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const values = history.flatMap(([a, b]) => [a, b]).filter(v => v !== null);
    if (history.length < 2 || !values.length) return;
    const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
    [[0, "#777"], [1, "black"]].forEach(([k, stroke]) => {
      ctx.beginPath(); ctx.strokeStyle = stroke; ctx.lineWidth = 1.5;
      history.forEach((p, i) => {
        if (p[k] === null) return;
        const x = i / (history.length - 1) * (w - 2) + 1, y = h - 2 - (p[k] - lo) / span * (h - 4);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      });
      ctx.stroke();
    });
  }

  function legend(canvas) {
    const ctx = canvas.getContext("2d");
    for (let i = 0; i < canvas.width; i++) {
      ctx.fillStyle = css(SHADES[Math.min(30, Math.floor(i / canvas.width * 31))]);
      ctx.fillRect(i, 0, 1, canvas.height);
    }
  }

  // Link width: |w| mapped linearly from [0, 5] to [1, 10] px, clamped (Playground's).
  function linkWidth(w) { return Math.min(10, 1 + Math.abs(w) * 9 / 5); }

  return {color, css, paint, points, chart, legend, linkWidth, SHADES, CLASS_COLORS, bytes};
})();
