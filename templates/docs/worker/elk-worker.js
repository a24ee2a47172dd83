// Lays out the whole graph with ELK's layered algorithm (elkjs's elk.bundled.js is prepended to
// this file in the site's assets/elk-layout.js), off the page's main thread. In: { nodes: [[w, h]]
// (by node index), edges: [[fromIndex, toIndex]] }. Out: { ms, pos: [[x, y]] (centers, by node
// index), points: [[x0, y0, x1, y1, ...]] (edge order), width, height } or { error }.
// ELK is made before onmessage is set: its first construction runs GWT's worker setup, which,
// outside a page, claims self.onmessage for ELK's own protocol.
var elk = new ELK();
var OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.layered.nodePlacement.strategy": "SIMPLE",
  "elk.layered.thoroughness": "1",
  "elk.edgeRouting": "POLYLINE",
  "elk.spacing.nodeNode": "14",
  "elk.layered.spacing.nodeNodeBetweenLayers": "70",
};
self.onmessage = function (ev) {
  var m = ev.data, t0 = Date.now();
  var r = function (v) { return Math.round(v * 10) / 10; };
  var graph = {
    id: "root",
    layoutOptions: OPTIONS,
    children: m.nodes.map(function (n, i) { return { id: "n" + i, width: n[0], height: n[1] }; }),
    edges: m.edges.map(function (e, i) { return { id: "e" + i, sources: ["n" + e[0]], targets: ["n" + e[1]] }; }),
  };
  elk.layout(graph).then(function (out) {
    var pos = new Array(m.nodes.length);
    out.children.forEach(function (c) { pos[Number(c.id.slice(1))] = [r(c.x + c.width / 2), r(c.y + c.height / 2)]; });
    var points = new Array(m.edges.length);
    out.edges.forEach(function (e) {
      var p = [];
      (e.sections || []).forEach(function (s) {
        [s.startPoint].concat(s.bendPoints || [], [s.endPoint]).forEach(function (q) { p.push(r(q.x), r(q.y)); });
      });
      points[Number(e.id.slice(1))] = p;
    });
    self.postMessage({ ms: Date.now() - t0, pos: pos, points: points, width: out.width, height: out.height });
  }, function (err) {
    self.postMessage({ error: String((err && err.message) || err) });
  });
};
