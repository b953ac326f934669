// feedbackiq report: sortable tables, heatmap column picker, map legend highlighting.
// Static file: no data is ever written into this script (all data lives in escaped HTML),
// and it makes no network request of any kind.
(function () {
  "use strict";

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell ? cell.getAttribute("data-sort") : null;
    if (raw === null || raw === "") return null;  // missing values always sort last
    if (kind === "text") return raw.toLocaleLowerCase();
    var v = parseFloat(raw);
    return isNaN(v) ? null : v;
  }

  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute("data-sort-type") || "number";
    // First click: numbers largest first, text A-Z; a second click reverses.
    var current = th.getAttribute("aria-sort");
    var firstDir = kind === "text" ? "ascending" : "descending";
    var dir = current === firstDir ? (firstDir === "ascending" ? "descending" : "ascending") : firstDir;
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, value: cellValue(row, index, kind), pos: i };
    });
    rows.sort(function (a, b) {
      if (a.value === null || b.value === null) {
        if (a.value === b.value) return a.pos - b.pos;
        return a.value === null ? 1 : -1;
      }
      var c = kind === "text" ? a.value.localeCompare(b.value) : (a.value - b.value);
      return c !== 0 ? sign * c : a.pos - b.pos;  // stable for ties
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-sort-type")) return;
      th.addEventListener("click", function () { sortTable(table, th); });
    });
  });

  var picker = document.getElementById("heatmap-column");
  if (picker) {
    picker.addEventListener("change", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".heatmap"), function (div) {
        div.hidden = div.getAttribute("data-column") !== picker.value;
      });
    });
  }

  var map = document.getElementById("item-map");
  if (map) {
    var active = null;
    Array.prototype.forEach.call(document.querySelectorAll(".legend-item[data-theme]"), function (button) {
      button.addEventListener("click", function () {
        var theme = button.getAttribute("data-theme");
        active = active === theme ? null : theme;
        map.classList.toggle("focus", active !== null);
        Array.prototype.forEach.call(map.querySelectorAll("circle"), function (dot) {
          dot.classList.toggle("on", dot.getAttribute("data-theme") === active);
        });
        Array.prototype.forEach.call(document.querySelectorAll(".legend-item"), function (b) {
          b.classList.toggle("on", b.getAttribute("data-theme") === active);
        });
      });
    });
  }
})();
