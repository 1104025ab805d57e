// Canvas helpers for the ConvNet browser sample: draw 0-255 grayscale bytes, and a 28x28 drawing pad.
window.convnet = (() => {
  function paint(canvas, bytes, offset, w, h) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const v = bytes[offset + i];
      img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  const pads = new WeakMap();

  return {
    // One image into one canvas (w x h pixels).
    drawGray(canvas, bytes, w, h) { if (canvas) paint(canvas, bytes, 0, w, h); },

    // Image i of a set into the i-th canvas of a container (canvas[data-index]).
    drawGrid(container, bytes, w, h) {
      if (!container) return;
      for (const canvas of container.querySelectorAll("canvas[data-index]")) {
        paint(canvas, bytes, Number(canvas.dataset.index) * w * h, w, h);
      }
    },

    // One Tab stop for the whole grid: arrow keys, Home and End move the focus (roving tabindex), Enter/Space click.
    initGrid(container) {
      if (!container || container.dataset.keys) return;
      container.dataset.keys = "1";
      container.addEventListener("keydown", e => {
        const buttons = [...container.querySelectorAll("button")];
        const i = buttons.indexOf(document.activeElement);
        if (i < 0) return;
        const top = buttons[0].offsetTop;
        let cols = buttons.findIndex(b => b.offsetTop !== top);
        if (cols <= 0) cols = buttons.length;
        const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -i, End: buttons.length - 1 - i };
        if (!(e.key in moves)) return;
        const j = Math.min(buttons.length - 1, Math.max(0, i + moves[e.key]));
        e.preventDefault();
        buttons[i].tabIndex = -1; buttons[j].tabIndex = 0; buttons[j].focus();
      });
    },

    // Map i into the i-th canvas of a container.
    drawMaps(container, bytes, w, h) {
      if (!container) return;
      container.querySelectorAll("canvas").forEach((canvas, i) => paint(canvas, bytes, i * w * h, w, h));
    },

    // A drawing pad: a large canvas drawn with a round white brush on black, read back as 28x28 bytes.
    initPad(canvas) {
      if (!canvas || pads.has(canvas)) return;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      const state = { down: false, x: 0, y: 0 };
      pads.set(canvas, state);
      const at = e => {
        const r = canvas.getBoundingClientRect();
        return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
      };
      const line = (x, y) => {
        ctx.strokeStyle = "#fff"; ctx.lineWidth = canvas.width / 11; ctx.lineCap = "round"; ctx.lineJoin = "round";
        ctx.beginPath(); ctx.moveTo(state.x, state.y); ctx.lineTo(x, y); ctx.stroke();
        state.x = x; state.y = y;
      };
      canvas.addEventListener("pointerdown", e => {
        canvas.setPointerCapture(e.pointerId); state.down = true; [state.x, state.y] = at(e); line(state.x + 0.01, state.y);
        e.preventDefault();
      });
      canvas.addEventListener("pointermove", e => { if (state.down) { line(...at(e)); e.preventDefault(); } });
      const up = () => { state.down = false; };
      canvas.addEventListener("pointerup", up);
      canvas.addEventListener("pointercancel", up);
    },

    clearPad(canvas) {
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    },

    // Puts 28x28 bytes on the pad (scaled up), e.g. to start a drawing from a test image.
    loadPad(canvas, bytes, w, h) {
      const small = document.createElement("canvas"); small.width = w; small.height = h;
      paint(small, bytes, 0, w, h);
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    },

    // The pad downsampled to w x h grayscale bytes (area-averaged by the browser's smoothing).
    readPad(canvas, w, h) {
      const small = document.createElement("canvas"); small.width = w; small.height = h;
      const ctx = small.getContext("2d");
      ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
      ctx.drawImage(canvas, 0, 0, w, h);
      const data = ctx.getImageData(0, 0, w, h).data;
      const out = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) out[i] = data[4 * i];
      return out;
    },

    // A simple stroke for tests and keyboard users: a T-shirt-like shape.
    drawShirt(canvas) {
      const ctx = canvas.getContext("2d"), s = canvas.width / 28;
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = "#fff";
      ctx.beginPath();
      const pts = [[9, 3], [19, 3], [26, 8], [23, 12], [20, 10], [20, 25], [8, 25], [8, 10], [5, 12], [2, 8]];
      ctx.moveTo(pts[0][0] * s, pts[0][1] * s);
      for (const [x, y] of pts.slice(1)) ctx.lineTo(x * s, y * s);
      ctx.closePath(); ctx.fill();
    },

    now() { return performance.now(); }
  };
})();
