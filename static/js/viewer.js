/* Document viewer for the RT chair's phone: tap a photo, pinch or press +/- to zoom, drag to
 * move, Putar to rotate by 90°. No dependencies; served from static/ (CSP: script-src 'self').
 * Without JavaScript the links simply open the photo in a new tab. */
(function () {
  "use strict";
  var links = document.querySelectorAll("a[data-viewer]");
  if (!links.length || typeof HTMLDialogElement === "undefined") return;

  var MIN = 1, MAX = 8;
  var state = { scale: 1, rotation: 0, x: 0, y: 0, fit: 1 };
  var pointers = new Map();
  var pinch = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var dialog = el("dialog", { "class": "viewer", "aria-labelledby": "viewer-title" });
  var bar = el("div", { "class": "viewer-bar" });
  var title = el("h2", { id: "viewer-title", "class": "viewer-title" });
  var zoomOut = el("button", { type: "button", "class": "viewer-button", "aria-label": "Perkecil" }, "−");
  var zoomIn = el("button", { type: "button", "class": "viewer-button", "aria-label": "Perbesar" }, "+");
  var rotate = el("button", { type: "button", "class": "viewer-button" }, "Putar");
  var original = el("a", { "class": "viewer-button", target: "_blank", rel: "noopener" }, "Asli");
  var close = el("button", { type: "button", "class": "viewer-button" }, "Tutup");
  var stage = el("div", { "class": "viewer-stage" });
  var img = el("img", { "class": "viewer-img", alt: "", draggable: "false" });
  [zoomOut, zoomIn, rotate, original, close].forEach(function (b) { bar.appendChild(b); });
  stage.appendChild(img);
  dialog.appendChild(title);
  dialog.appendChild(bar);
  dialog.appendChild(stage);
  document.body.appendChild(dialog);

  function computeFit() {
    var w = stage.clientWidth, h = stage.clientHeight;
    var nw = img.naturalWidth || 1, nh = img.naturalHeight || 1;
    var sideways = state.rotation % 180 !== 0;
    state.fit = sideways ? Math.min(w / nh, h / nw) : Math.min(w / nw, h / nh);
  }

  function apply() {
    state.scale = Math.min(MAX, Math.max(MIN, state.scale));
    if (state.scale === MIN) { state.x = 0; state.y = 0; }
    img.style.width = (img.naturalWidth || 0) + "px";
    img.style.height = (img.naturalHeight || 0) + "px";
    img.style.transform = "translate(-50%, -50%) translate(" + state.x + "px, " + state.y + "px) " +
      "rotate(" + state.rotation + "deg) scale(" + (state.fit * state.scale).toFixed(4) + ")";
    dialog.dataset.scale = state.scale.toFixed(2);
    dialog.dataset.rotation = String(state.rotation);
    zoomOut.disabled = state.scale <= MIN;
    zoomIn.disabled = state.scale >= MAX;
  }

  function reset() { state.scale = 1; state.rotation = 0; state.x = 0; state.y = 0; }

  function open(link) {
    reset();
    title.textContent = link.dataset.caption || "Berkas";
    img.alt = link.dataset.caption || "Berkas";
    original.href = link.href;
    img.onload = function () { computeFit(); apply(); };
    img.src = link.href;
    dialog.showModal();
    if (img.complete) { computeFit(); apply(); }
  }

  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return; // keep "open in new tab"
      event.preventDefault();
      open(link);
    });
  });

  zoomIn.addEventListener("click", function () { state.scale *= 1.5; apply(); });
  zoomOut.addEventListener("click", function () { state.scale /= 1.5; apply(); });
  rotate.addEventListener("click", function () {
    state.rotation = (state.rotation + 90) % 360;
    state.x = 0; state.y = 0;
    computeFit(); apply();
  });
  close.addEventListener("click", function () { dialog.close(); });
  window.addEventListener("resize", function () { if (dialog.open) { computeFit(); apply(); } });

  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    state.scale *= event.deltaY < 0 ? 1.2 : 1 / 1.2;
    apply();
  }, { passive: false });
  stage.addEventListener("dblclick", function () {
    state.scale = state.scale > 1 ? 1 : 2.5;
    apply();
  });

  function distance() {
    var p = Array.from(pointers.values());
    return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) || 1;
  }
  stage.addEventListener("pointerdown", function (event) {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    try { stage.setPointerCapture(event.pointerId); } catch (e) { /* pointer already gone */ }
    if (pointers.size === 2) pinch = { distance: distance(), scale: state.scale };
  });
  stage.addEventListener("pointermove", function (event) {
    var last = pointers.get(event.pointerId);
    if (!last) return;
    var now = { x: event.clientX, y: event.clientY };
    pointers.set(event.pointerId, now);
    if (pointers.size === 2 && pinch) {
      state.scale = pinch.scale * distance() / pinch.distance;
    } else if (pointers.size === 1 && state.scale > 1) {
      state.x += now.x - last.x;
      state.y += now.y - last.y;
    }
    apply();
  });
  function release(event) {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
  }
  stage.addEventListener("pointerup", release);
  stage.addEventListener("pointercancel", release);

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "+" || event.key === "=") { state.scale *= 1.5; apply(); }
    else if (event.key === "-") { state.scale /= 1.5; apply(); }
    else if (event.key === "r" || event.key === "R") { rotate.click(); }
  });
})();
