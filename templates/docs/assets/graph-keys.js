// The lineage graph without a mouse. One node at a time is in the Tab order (a roving tabindex:
// the focus of the graph, else the last node moved to, else the top-left one); from there
// Left / Right move to an upstream / downstream neighbor (back the way you came when it is one,
// else the nearest by height), Up / Down to the node above / below in the same column (rank),
// Enter opens the node's page, f focuses the graph on it (as ?focus= does), + / - zoom around it,
// 0 fits the graph again. The view pans to keep the focused node on screen. Loaded before
// graph.js, which calls the plugin with its view.
(window.BP_GRAPH_PLUGINS = window.BP_GRAPH_PLUGINS || []).push(function (view) {
  var G = view.G, svg = view.svg;
  var MARGIN = 24, ZOOM_STEP = 1.25;
  var entry = null; // node index in the Tab order
  var cameFrom = null; // the node left by the last Left / Right move: the way back
  var refocus = null; // node index to give the keyboard focus once drawn again (after f)
  var columns = null; // rounded x -> node indexes top to bottom (of what is drawn), made on first use

  view.onDrawn(function (f) {
    columns = null;
    cameFrom = null;
    var drawn = function (i) { return i !== null && i !== undefined && view.element(i) !== null; };
    var next = drawn(refocus) ? refocus : drawn(entry) ? entry : drawn(f) ? f : topLeft();
    entry = null;
    if (next === null) return;
    setEntry(next);
    if (refocus !== null) focusNode(next);
    refocus = null;
  });

  function topLeft() {
    var best = null;
    view.shown().forEach(function (i) {
      var c = view.center(i), b = best === null ? null : view.center(best);
      if (best === null || c[0] < b[0] || (c[0] === b[0] && c[1] < b[1])) best = i;
    });
    return best;
  }

  function setEntry(i) {
    if (entry !== null && view.element(entry)) view.element(entry).setAttribute("tabindex", "-1");
    entry = i;
    view.element(i).setAttribute("tabindex", "0");
  }

  function focusNode(i) {
    setEntry(i);
    view.element(i).focus({ preventScroll: true });
    reveal(i);
  }

  /** Pans (as little as possible) so node i is inside the graph's box. */
  function reveal(i) {
    var c = view.center(i), w = G.nodes[i][6], h = G.nodes[i][7], t = view.transform();
    var W = svg.clientWidth, H = svg.clientHeight;
    var x0 = t.tx + (c[0] - w / 2) * t.k, x1 = t.tx + (c[0] + w / 2) * t.k;
    var y0 = t.ty + (c[1] - h / 2) * t.k, y1 = t.ty + (c[1] + h / 2) * t.k;
    var dx = x0 < MARGIN ? MARGIN - x0 : x1 > W - MARGIN ? Math.max(W - MARGIN - x1, MARGIN - x0) : 0;
    var dy = y0 < MARGIN ? MARGIN - y0 : y1 > H - MARGIN ? Math.max(H - MARGIN - y1, MARGIN - y0) : 0;
    if (dx || dy) view.panBy(dx, dy);
  }

  /** The drawn neighbor to move to: the way back if it is one, else the nearest in height. */
  function neighbor(i, candidates) {
    var drawn = candidates.filter(function (j) { return view.element(j) !== null; });
    if (cameFrom !== null && drawn.indexOf(cameFrom) >= 0) return cameFrom;
    var y = view.center(i)[1], best = null, bestD = Infinity;
    drawn.forEach(function (j) {
      var yj = view.center(j)[1], d = Math.abs(yj - y);
      if (d < bestD || (d === bestD && yj < view.center(best)[1])) { best = j; bestD = d; }
    });
    return best;
  }

  function column(i) {
    var key = function (j) { return Math.round(view.center(j)[0]); };
    if (!columns) {
      columns = new Map();
      view.shown().forEach(function (j) {
        var list = columns.get(key(j));
        if (list) list.push(j);
        else columns.set(key(j), [j]);
      });
      columns.forEach(function (list) { list.sort(function (a, b) { return view.center(a)[1] - view.center(b)[1]; }); });
    }
    return columns.get(key(i));
  }

  function move(i, key) {
    var to = null;
    if (key === "ArrowLeft") to = neighbor(i, view.upstream(i));
    else if (key === "ArrowRight") to = neighbor(i, view.downstream(i));
    else {
      var list = column(i), at = list.indexOf(i);
      to = key === "ArrowUp" ? (at > 0 ? list[at - 1] : null) : at < list.length - 1 ? list[at + 1] : null;
    }
    if (to === null) return;
    cameFrom = key === "ArrowLeft" || key === "ArrowRight" ? i : null;
    focusNode(to);
  }

  function zoom(i, factor) {
    var c = view.center(i), t = view.transform();
    view.zoomAt(t.tx + c[0] * t.k, t.ty + c[1] * t.k, factor);
    reveal(i);
  }

  svg.addEventListener("keydown", view.timed(function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var node = ev.target.closest ? ev.target.closest("g.node") : null;
    var i = node ? view.index.get(node.getAttribute("data-id")) : undefined;
    if (i === undefined) return;
    var key = ev.key;
    if (key === "Enter") view.open(i);
    else if (key === "ArrowLeft" || key === "ArrowRight" || key === "ArrowUp" || key === "ArrowDown") move(i, key);
    else if (key === "f" || key === "F") { refocus = i; view.focusOn(G.nodes[i][0]); }
    else if (key === "+" || key === "=") zoom(i, ZOOM_STEP);
    else if (key === "-" || key === "_") zoom(i, 1 / ZOOM_STEP);
    else if (key === "0") { view.fit(); reveal(i); }
    else return;
    ev.preventDefault();
  }));

  // Tab or a click on a node makes it the one Tab comes back to.
  svg.addEventListener("focusin", function (ev) {
    var node = ev.target.closest ? ev.target.closest("g.node") : null;
    var i = node ? view.index.get(node.getAttribute("data-id")) : undefined;
    if (i !== undefined && i !== entry) setEntry(i);
  });
});
