// feedbackiq report: the page-wide filter, sortable tables, nested theme rows, heatmap column picker,
// map legend, quote search. Static file: data reaches it only through the JSON block the page carries
// (read with JSON.parse, never run), and it makes no network request of any kind.
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var all = function (selector, root) { return (root || document).querySelectorAll(selector); };

  // --- sorting: a first click sorts numbers largest first, text A-Z; a second click reverses ---------------
  function cellValue(unit, index, kind) {
    var row = unit.tagName === "TBODY" ? unit.rows[0] : unit;
    var cell = row.cells[index];
    var raw = cell ? cell.getAttribute("data-sort") : null;
    if (raw === null || raw === "") return null;  // missing values always sort last
    if (kind === "text") return raw.toLocaleLowerCase();
    var v = parseFloat(raw);
    return isNaN(v) ? null : v;
  }

  function sortTable(table, th, dir) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute("data-sort-type") || "number";
    var sign = dir === "ascending" ? 1 : -1;
    // A grouped table sorts its tbody groups (a need with its theme rows), others their rows.
    var grouped = table.classList.contains("grouped");
    var parent = grouped ? table : table.tBodies[0];
    var units = Array.prototype.slice.call(grouped ? table.tBodies : table.tBodies[0].rows).map(function (u, i) {
      return { unit: u, value: cellValue(u, index, kind), pos: i };
    });
    units.sort(function (a, b) {
      if (a.value === null || b.value === null) {
        if (a.value === b.value) return a.pos - b.pos;
        return a.value === null ? 1 : -1;
      }
      var c = kind === "text" ? a.value.localeCompare(b.value) : (a.value - b.value);
      return c !== 0 ? sign * c : a.pos - b.pos;  // stable for ties
    });
    units.forEach(function (u) { parent.appendChild(u.unit); });
    each(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
  }

  each(all("table.sortable"), function (table) {
    each(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-sort-type")) return;
      th.addEventListener("click", function () {
        var first = th.getAttribute("data-sort-type") === "text" ? "ascending" : "descending";
        var current = th.getAttribute("aria-sort");
        sortTable(table, th, current === first ? (first === "ascending" ? "descending" : "ascending") : first);
      });
    });
  });

  // --- a need's themes, shown under it on demand ------------------------------------------------------------
  each(all("button.expand"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      each(button.closest("tbody").querySelectorAll("tr.theme-row"), function (row) { row.hidden = !open; });
    });
  });

  // --- heatmap: one segment column at a time --------------------------------------------------------------------
  var picker = document.getElementById("heatmap-column");
  if (picker) {
    picker.addEventListener("change", function () {
      each(all(".heatmap"), function (div) { div.hidden = div.getAttribute("data-column") !== picker.value; });
    });
  }

  // --- map: the legend highlights one need ------------------------------------------------------------------
  var map = document.getElementById("item-map");
  if (map) {
    var active = null;
    each(all(".legend-item[data-need]"), function (button) {
      button.addEventListener("click", function () {
        var need = button.getAttribute("data-need");
        active = active === need ? null : need;
        map.classList.toggle("focus", active !== null);
        each(map.querySelectorAll("circle"), function (dot) { dot.classList.toggle("on", dot.getAttribute("data-need") === active); });
        each(all(".legend-item"), function (b) { b.classList.toggle("on", b.getAttribute("data-need") === active); });
      });
    });
  }

  // --- details: a link to something inside a closed one opens it ---------------------------------------------
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    for (var node = el; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (el) el.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  if (location.hash) reveal();

  // --- the page-wide filter: swap in the values computed for the chosen option -----------------------------
  var dataBlock = document.getElementById("report-data");
  var data = dataBlock ? JSON.parse(dataBlock.textContent) : null;
  var filter = document.getElementById("page-filter");
  var current = 0;

  function applyText(el, value) {
    if (typeof value === "number") { el.textContent = data.strings[value]; return; }
    el.textContent = data.strings[value[0]];
    if (value[1] === null) el.removeAttribute("data-sort"); else el.setAttribute("data-sort", value[1]);
    if (value[2] !== null) {
      el.style.background = "rgba(78,121,167," + value[2].toFixed(2) + ")";
      el.style.color = value[2] > 0.55 ? "#fff" : "inherit";
    }
    if (value[3]) el.title = data.strings[value[3]]; else el.removeAttribute("title");
  }

  function resortNeeds() {
    var table = document.getElementById("need-table");
    if (!table) return;
    var th = table.querySelector("th[aria-sort]") || table.querySelector("th[data-key='respondents']");
    sortTable(table, th, th.getAttribute("aria-sort") || "descending");
  }

  function applyFilter(option) {
    current = option;
    var texts = data.text[option], htmls = data.html[option];
    each(all("[data-b]"), function (el) { applyText(el, texts[+el.getAttribute("data-b")]); });
    each(all("[data-bh]"), function (el) { el.innerHTML = data.strings[htmls[+el.getAttribute("data-bh")]]; });
    var token = String(option);
    each(all("[data-f]"), function (el) {
      el.classList.toggle("filtered-out", option !== 0 && el.getAttribute("data-f").split(" ").indexOf(token) < 0);
    });
    document.body.classList.toggle("filtered", option !== 0);
    var note = document.getElementById("filter-note");
    if (note) {
      note.hidden = option === 0;
      note.textContent = option === 0 ? "" : "Scorecard, unowned demand, personas and features: all feedback.";
    }
    resortNeeds();
    searchQuotes();
  }
  if (filter && data) {
    filter.addEventListener("change", function () { applyFilter(+filter.value); });
    if (+filter.value !== 0) applyFilter(+filter.value);  // a browser that kept the choice on reload
  }

  // --- quotes: search, open all, close all --------------------------------------------------------------------
  var search = document.getElementById("quote-search");
  var count = document.getElementById("quote-count");
  function searchQuotes() {
    if (!search) return;
    var query = search.value.trim().toLocaleLowerCase();
    var shown = 0;
    each(all("#quotes details.need-quotes"), function (details) {
      var hits = 0;
      each(details.querySelectorAll("blockquote.quote"), function (q) {
        var match = !query || q.textContent.toLocaleLowerCase().indexOf(query) >= 0;
        q.classList.toggle("no-match", !match);
        if (match && !q.classList.contains("filtered-out")) hits += 1;
      });
      shown += hits;
      details.classList.toggle("no-match", query !== "" && hits === 0);
      if (query) details.open = hits > 0;
    });
    count.textContent = query ? shown + " quote" + (shown === 1 ? "" : "s") + " match" + (shown === 1 ? "es" : "")
      : (current !== 0 ? shown + " quotes under this filter" : "");
  }
  if (search) search.addEventListener("input", searchQuotes);
  each([["quotes-open", true], ["quotes-close", false]], function (pair) {
    var button = document.getElementById(pair[0]);
    if (button) button.addEventListener("click", function () {
      each(all("#quotes details.need-quotes"), function (d) { d.open = pair[1]; });
    });
  });
})();
