// Lays out one focused subgraph with dagre (prepended to this file in the site's
// assets/layout-worker.js), off the page's main thread. In: { id, nodes: [[key, w, h]], edges:
// [[fromKey, toKey]] }. Out: { id, pos: { key: [x, y] }, points: [[x0, y0, x1, y1, ...]] (edge order) }.
self.onmessage = function (ev) {
  var m = ev.data;
  var g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(function () { return {}; });
  m.nodes.forEach(function (n) { g.setNode(String(n[0]), { width: n[1], height: n[2] }); });
  m.edges.forEach(function (e) { g.setEdge(String(e[0]), String(e[1])); });
  dagre.layout(g);
  var pos = {};
  m.nodes.forEach(function (n) { var v = g.node(String(n[0])); pos[n[0]] = [v.x, v.y]; });
  var points = m.edges.map(function (e) {
    return g.edge(String(e[0]), String(e[1])).points.reduce(function (a, p) { a.push(Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10); return a; }, []);
  });
  self.postMessage({ id: m.id, pos: pos, points: points });
};
