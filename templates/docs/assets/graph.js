// The lineage graph: draws the layout computed at generate time (graph-data.js: window.BP_GRAPH)
// as SVG. Only the focused subgraph (?focus=<id>&hops=N) is drawn; without a focus, the whole
// graph when it was laid out at generate time (above the limit, on request: graph-whole.js lays
// it out with ELK in a worker, `view.drawWhole` draws it in chunks). Pan by dragging, zoom with
// the wheel, click a node to open its page, ?column=<name> highlights the column's sources
// (column lineage) upstream of the focus. Scripts loaded before this one (graph-keys.js: the
// keyboard, graph-picker.js: a way in when the graph is too big to draw unfocused,
// graph-whole.js: the whole graph anyway) register in window.BP_GRAPH_PLUGINS and get the `view`
// below.
(function () {
  var G = window.BP_GRAPH;
  var root = document.body.getAttribute("data-root") || "";
  var svg = document.getElementById("graph");
  var vp = document.getElementById("viewport");
  var status = document.getElementById("graph-status");
  var hopsInput = document.getElementById("hops");
  var NS = "http://www.w3.org/2000/svg";
  var KIND = { sql: "SQL model", ts: "TS model", source: "source" };
  var stats = (window.__bpGraph = { renderMs: 0, maxInteractionMs: 0, interactions: 0, nodes: 0, edges: 0, renders: 0 });
  function timed(f) {
    return function (ev) {
      var t = performance.now();
      f(ev);
      var ms = performance.now() - t;
      stats.interactions++;
      if (ms > stats.maxInteractionMs) stats.maxInteractionMs = ms;
    };
  }

  // nodes: [id, label, kind, href, x, y, w, h]; edges: [fromIndex, toIndex, points]
  var index = new Map();
  G.nodes.forEach(function (n, i) { index.set(n[0], i); });
  var ups = G.nodes.map(function () { return []; });
  var downs = G.nodes.map(function () { return []; });
  G.edges.forEach(function (e, i) { downs[e[0]].push(i); ups[e[1]].push(i); });

  var params = new URLSearchParams(location.search);
  var focus, hops, column;
  function readParams() {
    params = new URLSearchParams(location.search);
    focus = params.get("focus");
    hops = Math.max(0, Number(params.get("hops") || 2) | 0);
    column = params.get("column");
    hopsInput.value = String(hops);
  }
  readParams();

  var tx = 0, ty = 0, k = 1, FAR = 0.4;
  function apply() {
    vp.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + k + ")");
    // Labels smaller than ~5 px are unreadable, and at thousands of nodes painting them is most of
    // a frame's cost (5,000 nodes: ~200 ms per pan / zoom frame with them, ~70 ms without).
    svg.classList.toggle("far", k < FAR);
    svg.style.setProperty("--ring", 2 / k + "px");
  }

  function reach(start, steps) {
    var seen = new Set([start]);
    [[ups, 0], [downs, 1]].forEach(function (dir) {
      var frontier = [start];
      for (var s = 0; s < steps && frontier.length; s++) {
        var next = [];
        frontier.forEach(function (i) {
          dir[0][i].forEach(function (ei) {
            var j = G.edges[ei][dir[1]];
            if (!seen.has(j)) { seen.add(j); next.push(j); }
          });
        });
        frontier = next;
      }
    });
    return seen;
  }

  // Column lineage: (node index, column) -> the set of node indexes and columns on its path upstream.
  function columnPath(start, col) {
    var onPath = new Map(); // node index -> Set of columns
    var byTable = G.tables || {};
    var stack = [[start, col]];
    while (stack.length) {
      var item = stack.pop();
      var cols = onPath.get(item[0]) || new Set();
      if (cols.has(item[1])) continue;
      cols.add(item[1]);
      onPath.set(item[0], cols);
      var lin = G.lineage && G.lineage[G.nodes[item[0]][0]];
      var from = lin && lin[item[1]];
      (from || []).forEach(function (f) {
        var j = index.get(byTable[f[0]]);
        if (j !== undefined) stack.push([j, f[1]]);
      });
    }
    return onPath;
  }

  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    return e;
  }

  var shown = [];
  var elements = new Map(); // node index -> its <g> while drawn
  var pos = null; // node index -> [x, y] (global layout, or the worker's for the current subgraph)
  var edgePoints = null; // edge index -> points
  var worker = null, requestId = 0;
  var drawnHooks = [], tooBigHooks = [];
  var drawGen = 0; // bumped by each render / drawWhole: a chunked draw in progress stops

  function render() {
    var t0 = performance.now();
    drawGen++;
    var set;
    var f = focus === null ? undefined : index.get(focus);
    vp.textContent = "";
    shown = [];
    elements = new Map();
    document.body.classList.remove("graph-too-big");
    if (focus !== null && f === undefined) { status.textContent = "no node " + focus; return; }
    if (f !== undefined) set = reach(f, hops);
    else if (G.positioned) set = new Set(G.nodes.map(function (_, i) { return i; }));
    else {
      status.textContent = G.nodes.length + " nodes: too many to lay out at once. Pick a model to focus on.";
      document.body.classList.add("graph-too-big");
      tooBigHooks.forEach(function (h) { h(); });
      return;
    }
    var edges = [];
    G.edges.forEach(function (e, i) { if (set.has(e[0]) && set.has(e[1])) edges.push(i); });
    if (G.positioned) {
      pos = null; edgePoints = null;
      draw(set, edges, f);
      stats.renderMs = performance.now() - t0;
      return;
    }
    // too big for a layout at generate time: lay out this subgraph in a worker
    status.textContent = "laying out " + set.size + " nodes…";
    if (!worker) worker = new Worker(URL.createObjectURL(new Blob([window.BP_LAYOUT_WORKER_SRC], { type: "text/javascript" })));
    var id = ++requestId;
    var nodes = Array.from(set);
    worker.onmessage = function (ev) {
      if (ev.data.id !== requestId) return; // a newer request is in flight
      var t1 = performance.now();
      pos = new Map();
      nodes.forEach(function (i) { pos.set(i, ev.data.pos[i]); });
      edgePoints = new Map();
      edges.forEach(function (ei, k) { edgePoints.set(ei, ev.data.points[k]); });
      draw(set, edges, f);
      stats.layoutMs = t1 - t0;
      stats.renderMs = performance.now() - t0;
      stats.drawMs = performance.now() - t1;
    };
    worker.onerror = function (ev) {
      ev.preventDefault();
      if (id === requestId) status.textContent = "could not lay out " + set.size + " nodes (" + ev.message + "): try fewer hops";
    };
    worker.postMessage({ id: id, nodes: nodes.map(function (i) { return [i, G.nodes[i][6], G.nodes[i][7]]; }), edges: edges.map(function (ei) { return [G.edges[ei][0], G.edges[ei][1]]; }) });
  }

  function xy(i) { return pos ? pos.get(i) : [G.nodes[i][4], G.nodes[i][5]]; }

  function edgeEl(ei, path) {
    var e = G.edges[ei];
    var p = edgePoints ? edgePoints.get(ei) : e[2], d = "M" + p[0] + "," + p[1];
    for (var i = 2; i < p.length; i += 2) d += "L" + p[i] + "," + p[i + 1];
    var on = path && path.has(e[0]) && path.has(e[1]);
    return el("path", { d: d, class: on ? "edge on-path" : "edge", "data-from": G.nodes[e[0]][0], "data-to": G.nodes[e[1]][0] });
  }

  function nodeEl(i, f, path) {
    var n = G.nodes[i], c = xy(i);
    var cls = "node " + n[2] + (i === f ? " focus" : "") + (path && path.has(i) ? " on-path" : "");
    var g = el("g", { class: cls, "data-id": n[0], "data-kind": n[2], transform: "translate(" + (c[0] - n[6] / 2) + "," + (c[1] - n[7] / 2) + ")", tabindex: "-1", role: "link", "aria-label": n[1] + ", " + KIND[n[2]] + ", " + ups[i].length + " upstream, " + downs[i].length + " downstream" + (i === f ? ", focus of the graph" : "") });
    if (path && path.has(i)) g.setAttribute("data-columns", Array.from(path.get(i)).sort().join(","));
    g.appendChild(el("rect", { width: n[6], height: n[7] }));
    var text = el("text", { x: n[6] / 2, y: n[7] / 2 });
    text.textContent = n[1];
    g.appendChild(text);
    if (path && path.has(i)) {
      var note = el("text", { class: "colnote", x: n[6] / 2, y: n[7] + 11 });
      note.textContent = Array.from(path.get(i)).sort().join(", ");
      g.appendChild(note);
    }
    elements.set(i, g);
    shown.push(i);
    return g;
  }

  function draw(set, edges, f) {
    var path = f !== undefined && column ? columnPath(f, column) : null;
    var frag = document.createDocumentFragment();
    edges.forEach(function (ei) { frag.appendChild(edgeEl(ei, path)); });
    set.forEach(function (i) { frag.appendChild(nodeEl(i, f, path)); });
    vp.appendChild(frag);
    drawn(edges.length, f);
  }

  function drawn(edgeCount, f) {
    stats.nodes = shown.length;
    stats.edges = edgeCount;
    status.textContent = (f !== undefined ? "focus " + G.nodes[f][1] + ", " + hops + " hops: " : "") + shown.length + " of " + G.nodes.length + " nodes" + (column ? ", column " + column : "");
    fit();
    drawnHooks.forEach(function (h) { h(f); });
    svg.setAttribute("data-rendered", String(++stats.renders));
  }

  /**
   * Draws every node from a layout made on the page (pos: [x, y] by node index, points by edge
   * index), `chunk` elements per animation frame so that no task blocks the page for long: edges
   * first, then nodes (on top). progress(done, total) after each frame; done() once drawn.
   */
  function drawWhole(posByIndex, pointsByEdge, chunk, progress, done) {
    var gen = ++drawGen;
    vp.textContent = "";
    shown = [];
    elements = new Map();
    document.body.classList.remove("graph-too-big");
    pos = new Map();
    posByIndex.forEach(function (c, i) { pos.set(i, c); });
    edgePoints = new Map();
    pointsByEdge.forEach(function (p, ei) { edgePoints.set(ei, p); });
    shown = G.nodes.map(function (_, i) { return i; });
    fit(); // on the whole layout, from the first frame
    shown = [];
    var total = G.edges.length + G.nodes.length, at = 0;
    function step() {
      if (gen !== drawGen) return; // render() or another draw since
      var frag = document.createDocumentFragment();
      for (var end = Math.min(total, at + chunk); at < end; at++) {
        frag.appendChild(at < G.edges.length ? edgeEl(at, null) : nodeEl(at - G.edges.length, undefined, null));
      }
      vp.appendChild(frag);
      progress(at, total);
      if (at < total) { requestAnimationFrame(step); return; }
      drawn(G.edges.length, undefined);
      done();
    }
    requestAnimationFrame(step);
  }

  function fit() {
    if (!shown.length) return;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    shown.forEach(function (i) {
      var n = G.nodes[i], c = xy(i);
      x0 = Math.min(x0, c[0] - n[6] / 2); x1 = Math.max(x1, c[0] + n[6] / 2);
      y0 = Math.min(y0, c[1] - n[7] / 2); y1 = Math.max(y1, c[1] + n[7] / 2 + 12);
    });
    var W = svg.clientWidth || 800, H = svg.clientHeight || 600, pad = 30;
    k = Math.min(2, (W - 2 * pad) / Math.max(1, x1 - x0), (H - 2 * pad) / Math.max(1, y1 - y0));
    tx = pad + ((W - 2 * pad) - (x1 - x0) * k) / 2 - x0 * k;
    ty = pad + ((H - 2 * pad) - (y1 - y0) * k) / 2 - y0 * k;
    apply();
  }

  /** Zooms by `factor` keeping the screen point (mx, my) (svg coordinates) where it is. */
  function zoomAt(mx, my, factor) {
    var nk = Math.min(8, Math.max(0.02, k * factor));
    tx = mx - (mx - tx) * (nk / k); ty = my - (my - ty) * (nk / k); k = nk;
  }

  function open(i) { location.href = root + G.nodes[i][3]; }

  /** Focuses the graph on node `id` (as ?focus=id would), as a new history entry. */
  function focusOn(id) {
    params.set("focus", id);
    params.set("hops", String(hops));
    params.delete("column");
    history.pushState(null, "", "?" + params.toString());
    readParams();
    render();
  }

  // pan / zoom / click
  var drag = null, moved = false, frame = 0;
  function schedule() { if (!frame) frame = requestAnimationFrame(function () { frame = 0; apply(); }); }
  // A node opens on pointerup without a drag in between (not on "click": after a drag with
  // pointer capture, Chromium may not fire the next click on the node).
  svg.addEventListener("pointerdown", timed(function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty, node: ev.target.closest ? ev.target.closest("g.node") : null };
    moved = false;
  }));
  svg.addEventListener("pointermove", timed(function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!moved) { moved = true; svg.classList.add("dragging"); try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* already released */ } }
    tx = drag.tx + dx; ty = drag.ty + dy;
    schedule();
  }));
  svg.addEventListener("pointerup", timed(function () {
    var node = drag && !moved ? drag.node : null;
    drag = null;
    moved = false;
    svg.classList.remove("dragging");
    if (!node) return;
    var i = index.get(node.getAttribute("data-id"));
    if (i !== undefined) open(i);
  }));
  svg.addEventListener("pointercancel", function () { drag = null; moved = false; svg.classList.remove("dragging"); });
  svg.addEventListener("wheel", timed(function (ev) {
    ev.preventDefault();
    var r = svg.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
    schedule();
  }), { passive: false });
  document.getElementById("fit").addEventListener("click", timed(fit));
  hopsInput.addEventListener("change", timed(function () {
    hops = Math.max(0, Number(hopsInput.value) | 0);
    params.set("hops", String(hops));
    history.replaceState(null, "", "?" + params.toString());
    render();
  }));
  window.addEventListener("popstate", function () { readParams(); render(); });
  window.addEventListener("resize", fit);

  /** What the plugins see of the graph. */
  var view = {
    G: G,
    svg: svg,
    index: index,
    timed: timed,
    /** Node indexes upstream / downstream of node i (all, drawn or not). */
    upstream: function (i) { return ups[i].map(function (ei) { return G.edges[ei][0]; }); },
    downstream: function (i) { return downs[i].map(function (ei) { return G.edges[ei][1]; }); },
    shown: function () { return shown; },
    element: function (i) { return elements.get(i) || null; },
    /** The drawn node's center, in layout units. */
    center: function (i) { return xy(i); },
    transform: function () { return { tx: tx, ty: ty, k: k }; },
    panBy: function (dx, dy) { tx += dx; ty += dy; apply(); },
    zoomAt: function (mx, my, factor) { zoomAt(mx, my, factor); apply(); },
    fit: fit,
    open: open,
    focusOn: focusOn,
    /** hook(focusIndex or undefined) after each draw; hook() when the graph is too big to draw unfocused. */
    onDrawn: function (hook) { drawnHooks.push(hook); },
    onTooBig: function (hook) { tooBigHooks.push(hook); },
    /** The status line (role=status). */
    status: status,
    drawWhole: drawWhole,
  };
  (window.BP_GRAPH_PLUGINS || []).forEach(function (plugin) { plugin(view); });
  render();
})();
