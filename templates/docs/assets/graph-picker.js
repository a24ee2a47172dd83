// When the graph is too big to draw unfocused (not laid out at generate time), the graph page
// offers a way in: the models with the most downstream (what a change to them reaches), and a
// search box over every node's name; each entry opens the graph focused on it. Loaded before
// graph.js, which calls the plugin with its view.
(window.BP_GRAPH_PLUGINS = window.BP_GRAPH_PLUGINS || []).push(function (view) {
  var G = view.G;
  var panel = document.getElementById("graph-picker");
  var input = document.getElementById("picker-search");
  var list = document.getElementById("picker-list");
  var caption = document.getElementById("picker-caption");
  var hopsInput = document.getElementById("hops");
  var TOP = 25, MATCHES = 50;
  // Every node's reach as a bitset: 4 bytes per 32 nodes per node (5,000 nodes: 3 MB, ~10 ms).
  // Above this, the direct downstream count.
  var TRANSITIVE_LIMIT = 10000;
  var counts = null, transitive = false;

  view.onTooBig(function () {
    if (!counts) {
      var t = performance.now();
      transitive = G.nodes.length <= TRANSITIVE_LIMIT;
      counts = transitive ? downstreamCounts() : G.nodes.map(function (_, i) { return view.downstream(i).length; });
      window.__bpGraph.pickerMs = performance.now() - t;
    }
    panel.hidden = false;
    show(input.value);
  });
  view.onDrawn(function () { panel.hidden = true; });

  /** Nodes reachable downstream of each node, counted with bitsets in reverse topological order. */
  function downstreamCounts() {
    var n = G.nodes.length, words = (n + 31) >>> 5;
    var bits = new Int32Array(n * words);
    var indegree = new Int32Array(n), order = [];
    G.edges.forEach(function (e) { indegree[e[1]]++; });
    for (var i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
    for (var at = 0; at < order.length; at++) {
      view.downstream(order[at]).forEach(function (j) { if (--indegree[j] === 0) order.push(j); });
    }
    for (var o = order.length - 1; o >= 0; o--) {
      var v = order[o], base = v * words;
      view.downstream(v).forEach(function (j) {
        bits[base + (j >>> 5)] |= 1 << (j & 31);
        for (var w = 0, jb = j * words; w < words; w++) bits[base + w] |= bits[jb + w];
      });
    }
    var out = new Array(n);
    for (var v2 = 0; v2 < n; v2++) {
      var c = 0;
      for (var w2 = 0, b = v2 * words; w2 < words; w2++) {
        var x = bits[b + w2];
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        c += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      out[v2] = c;
    }
    return out;
  }

  function show(query) {
    var q = query.trim().toLowerCase();
    var picked = [];
    G.nodes.forEach(function (node, i) {
      if (q ? node[1].toLowerCase().indexOf(q) >= 0 : node[2] !== "source") picked.push(i);
    });
    picked.sort(function (a, b) { return counts[b] - counts[a] || (G.nodes[a][1] < G.nodes[b][1] ? -1 : 1); });
    picked = picked.slice(0, q ? MATCHES : TOP);
    var what = transitive ? "downstream" : "directly downstream";
    caption.textContent = q ? (picked.length ? "Matching nodes, most " + what + " first:" : "No node matches “" + query.trim() + "”.") : "Models with the most nodes " + what + ":";
    var frag = document.createDocumentFragment();
    picked.forEach(function (i) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "?focus=" + encodeURIComponent(G.nodes[i][0]) + "&hops=" + Math.max(0, Number(hopsInput.value) | 0);
      a.textContent = G.nodes[i][1];
      a.setAttribute("data-id", G.nodes[i][0]);
      var note = document.createElement("span");
      note.className = "count";
      note.textContent = counts[i] + " " + what;
      li.appendChild(a);
      li.appendChild(note);
      frag.appendChild(li);
    });
    list.textContent = "";
    list.appendChild(frag);
  }

  input.addEventListener("input", view.timed(function () { show(input.value); }));
  input.addEventListener("keydown", function (ev) {
    var first = list.querySelector("a");
    if (ev.key === "Enter" && first) { ev.preventDefault(); location.href = first.href; }
  });
});
