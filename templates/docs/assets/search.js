// Instant search over the index written at generate time (search-index.js: window.BP_SEARCH).
// Entries: [type, name, href (from the site root), text]. Runs from file:// too (no fetch).
(function () {
  var input = document.getElementById("search");
  var list = document.getElementById("search-results");
  var root = document.body.getAttribute("data-root") || "";
  var entries = (window.BP_SEARCH && window.BP_SEARCH.entries) || [];
  var lower = entries.map(function (e) { return [e[1].toLowerCase(), (e[3] || "").toLowerCase()]; });
  var rank = { model: 0, source: 1, column: 2 };
  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var hits = [];
    for (var i = 0; i < entries.length; i++) {
      var name = lower[i][0];
      var score = name === q || name.endsWith("." + q) ? 0 : name.indexOf(q) >= 0 ? 1 : lower[i][1].indexOf(q) >= 0 ? 2 : -1;
      if (score >= 0) hits.push([score * 10 + rank[entries[i][0]], i]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return hits.slice(0, 30).map(function (h) { return entries[h[1]]; });
  }
  function show() {
    var results = search(input.value);
    list.textContent = "";
    results.forEach(function (e) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + e[2];
      a.className = "result " + e[0];
      a.setAttribute("data-type", e[0]);
      a.setAttribute("data-name", e[1]);
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = e[0];
      a.appendChild(kind);
      a.appendChild(document.createTextNode(" " + e[1]));
      if (e[3]) {
        var d = document.createElement("span");
        d.className = "desc";
        d.textContent = e[3];
        a.appendChild(d);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    list.classList.toggle("open", results.length > 0);
  }
  if (!input) return;
  input.addEventListener("input", show);
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var first = list.querySelector("a");
      if (first) location.href = first.href;
    } else if (ev.key === "Escape") {
      input.value = "";
      show();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
  });
})();
