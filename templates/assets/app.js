// auditbook portal: search over the prebuilt index, entirely offline.
// The index (assets/search-index.js and search-evidence.js) is loaded on
// first use, as scripts rather than fetched, because fetch() does not
// work from file://.
// Also the menu of this page in the other periods, from ../periods.js,
// which every build rewrites: published pages never change, yet learn of
// newer periods through it.
(function () {
  "use strict";
  var nav = document.getElementById("other-periods");
  var data = window.AUDITBOOK_PERIODS;
  // Format 1 (see periods_js in src/site.rs): later builds keep writing
  // what this reads, since published pages keep this script for ever.
  if (!nav || !data || data.format !== 1 || !data.periods || !data.pages) return;
  var body = document.body;
  var root = body.getAttribute("data-root") || "";
  var here = body.getAttribute("data-period");
  var page = body.getAttribute("data-page");
  // The paths are front-coded: "<n>|<rest>" is the first n characters of
  // the path before, then rest.
  var at = -1;
  var previous = "";
  for (var n = 0; n < data.pages.length && at < 0; n++) {
    var coded = data.pages[n];
    var bar = coded.indexOf("|");
    previous = previous.slice(0, Number(coded.slice(0, bar))) + coded.slice(bar + 1);
    if (previous === page) at = n;
  }
  var mine = -1;
  data.periods.forEach(function (p, i) { if (p.name === here) mine = i; });

  function holds(period) {
    if (at < 0) return false;
    return period.has.some(function (run) { return at >= run[0] && at < run[0] + run[1]; });
  }
  function href(path) {
    return path.split("/").map(encodeURIComponent).join("/");
  }

  var label = document.createElement("span");
  label.className = "label";
  label.textContent = "This page in other periods:";
  nav.appendChild(label);
  var shown = 0;
  data.periods.forEach(function (period, i) {
    if (period.name === here) return;
    var has = holds(period);
    var a = document.createElement("a");
    a.href = root + "../" + encodeURIComponent(period.name) + "/" + (has ? href(page) : "index.html");
    a.setAttribute("data-period", period.name);
    // Said in words, not only by style.
    var notes = [];
    if (!period.published) notes.push("draft");
    if (mine >= 0 && i < mine) {
      notes.push("newer");
      a.className = "newer";
    }
    a.textContent = period.name + (notes.length ? " (" + notes.join(", ") + ")" : "");
    if (!has) {
      a.className = (a.className + " absent").trim();
      a.textContent += ": not in that period, its dashboard";
    }
    nav.appendChild(a);
    shown++;
  });
  if (shown) nav.hidden = false;
})();

(function () {
  "use strict";
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var root = document.body.getAttribute("data-root") || "";
  var index = null;
  var loading = false;
  if (!input || !list) return;

  // The index comes in parts, each a script: controls, policies spread
  // over sixteen (POLICY_SHARDS in src/render/views.rs), evidence; editing
  // one policy then rewrites a small part.
  var parts = ["assets/search-index.js"];
  for (var shard = 0; shard < 16; shard++) {
    parts.push("assets/search-policies-" + (shard < 10 ? "0" : "") + shard + ".js");
  }
  parts.push("assets/search-evidence.js");
  var names = ["controls"];
  for (var n = 0; n < 16; n++) names.push("policies-" + (n < 10 ? "0" : "") + n);
  names.push("evidence");
  function loadIndex() {
    if (index || loading) return;
    loading = true;
    var loaded = 0;
    parts.forEach(function (part) {
      var script = document.createElement("script");
      script.src = root + part;
      script.onload = function () {
        if (++loaded < parts.length) return;
        var found = window.AUDITBOOK_INDEX_PARTS || {};
        index = [];
        names.forEach(function (name) { index = index.concat(found[name] || []); });
        window.AUDITBOOK_INDEX = index;
        render(input.value);
      };
      document.head.appendChild(script);
    });
  }

  var prepared = null;
  function prepare() {
    if (prepared) return prepared;
    prepared = index.map(function (entry) {
      return { kind: entry[0], title: entry[1], href: entry[2], title_lc: entry[1].toLowerCase(), text_lc: entry[3].toLowerCase() };
    });
    return prepared;
  }

  function search(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    var hits = [];
    prepare().forEach(function (entry) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var inTitle = entry.title_lc.indexOf(terms[i]) !== -1;
        if (!inTitle && entry.text_lc.indexOf(terms[i]) === -1) return;
        score += inTitle ? 3 : 1;
      }
      hits.push({ entry: entry, score: score });
    });
    hits.sort(function (a, b) { return b.score - a.score || a.entry.title.localeCompare(b.entry.title); });
    return hits.slice(0, 30);
  }

  function render(query) {
    if (!index) { loadIndex(); return; }
    // Which query the list shows: the index can finish loading mid-typing.
    list.setAttribute("data-query", query);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!query.trim()) { list.hidden = true; return; }
    var hits = search(query);
    if (!hits.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "No match for \u201c" + query + "\u201d";
      list.appendChild(none);
    }
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + hit.entry.href;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = hit.entry.kind;
      a.appendChild(kind);
      a.appendChild(document.createTextNode(hit.entry.title));
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = false;
  }

  var timer = null;
  input.addEventListener("focus", loadIndex);
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { render(input.value); }, 80);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { event.preventDefault(); window.location.href = first.href; }
    } else if (event.key === "ArrowDown") {
      var link = list.querySelector("a");
      if (link) { event.preventDefault(); link.focus(); }
    } else if (event.key === "Escape") {
      list.hidden = true;
    }
  });
  list.addEventListener("keydown", function (event) {
    var current = document.activeElement;
    if (!current || current.tagName !== "A") return;
    var item = current.parentElement;
    if (event.key === "ArrowDown" && item.nextElementSibling) { event.preventDefault(); item.nextElementSibling.querySelector("a").focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (item.previousElementSibling ? item.previousElementSibling.querySelector("a") : input).focus(); }
    if (event.key === "Escape") { list.hidden = true; input.focus(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== input) { event.preventDefault(); input.focus(); }
  });
})();
