// Above the limit, unfocused: a button draws the whole graph anyway. ELK (elkjs, layered) lays it
// out in a Web Worker, never on the page's thread: its source (assets/elk-layout.js, ~1.6 MB,
// written only for such sites) is loaded by a <script> on the first click and started as a Blob
// worker (both work from file://). Then view.drawWhole draws it a few hundred elements per frame.
// Loaded before graph.js, which calls the plugin with its view.
(window.BP_GRAPH_PLUGINS = window.BP_GRAPH_PLUGINS || []).push(function (view) {
  var G = view.G;
  var button = document.getElementById("draw-whole");
  var root = document.body.getAttribute("data-root") || "";
  var CHUNK = 400; // SVG elements per animation frame
  var models = G.nodes.filter(function (n) { return n[2] !== "source"; }).length;
  var busy = false;

  view.onTooBig(function () {
    button.hidden = false;
    button.disabled = false;
    button.textContent = "Draw the whole graph (" + models.toLocaleString("en-US") + " models)";
  });
  view.onDrawn(function () { button.hidden = true; });

  /** Runs f once window.BP_ELK_WORKER_SRC is loaded (a script tag: fetch does not work from file://). */
  function withElk(f, fail) {
    if (window.BP_ELK_WORKER_SRC) { f(); return; }
    var script = document.createElement("script");
    script.src = root + "assets/elk-layout.js";
    script.onload = f;
    script.onerror = function () { fail("could not load " + script.src); };
    document.head.appendChild(script);
  }

  button.addEventListener("click", function () {
    if (busy) return;
    busy = true;
    button.disabled = true;
    var stats = window.__bpGraph, t0 = performance.now(), n = G.nodes.length;
    var say = function (text) { view.status.textContent = text; };
    var secs = function () { return ((performance.now() - t0) / 1000).toFixed(1) + " s"; };
    var ticker = setInterval(function () { say("laying out " + n + " nodes… " + secs()); }, 200);
    say("laying out " + n + " nodes… 0.0 s");
    var fail = function (why) { clearInterval(ticker); busy = false; button.disabled = false; say("could not lay out the whole graph: " + why); };
    withElk(function () {
      var worker = new Worker(URL.createObjectURL(new Blob([window.BP_ELK_WORKER_SRC], { type: "text/javascript" })));
      worker.onerror = function (ev) { ev.preventDefault(); worker.terminate(); fail(ev.message); };
      worker.onmessage = function (ev) {
        worker.terminate();
        clearInterval(ticker);
        if (ev.data.error) { fail(ev.data.error); return; }
        if (new URLSearchParams(location.search).get("focus") !== null) { busy = false; return; } // navigated to a focus meanwhile
        document.getElementById("graph-picker").hidden = true;
        var t1 = performance.now();
        stats.wholeLayoutMs = t1 - t0;
        stats.wholeElkMs = ev.data.ms;
        say("laid out " + n + " nodes in " + secs() + ", drawing…");
        view.drawWhole(ev.data.pos, ev.data.points, CHUNK, function (done, total) {
          say("laid out " + n + " nodes in " + (stats.wholeLayoutMs / 1000).toFixed(1) + " s, drawing " + Math.round((100 * done) / total) + "%…");
        }, function () {
          stats.wholeDrawMs = performance.now() - t1;
          busy = false;
          view.status.textContent += " (laid out in " + (stats.wholeLayoutMs / 1000).toFixed(1) + " s, drawn in " + (stats.wholeDrawMs / 1000).toFixed(1) + " s)";
        });
      };
      worker.postMessage({ nodes: G.nodes.map(function (x) { return [x[6], x[7]]; }), edges: G.edges.map(function (e) { return [e[0], e[1]]; }) });
    }, fail);
  });
});
