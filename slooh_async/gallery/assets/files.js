/* The file table of the slooh-async gallery: sort and filter the rows of files-index.js.
   Plain DOM, no library; text goes in with textContent only (titles are user data). */
(function () {
  "use strict";
  var files = (window.SLOOH_FILES && window.SLOOH_FILES.files) || [];
  var table = document.getElementById("files");
  var search = document.getElementById("file-search");
  var type = document.getElementById("file-type");
  var count = document.getElementById("file-count");
  var form = document.getElementById("file-filters");
  if (!table) { return; }
  var body = table.tBodies[0];
  var order = { key: "date", descending: true };

  function sizeText(bytes) {
    if (bytes === null || bytes === undefined) { return "—"; }
    var units = ["B", "kB", "MB", "GB", "TB"], value = bytes, unit = 0;
    while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
    return unit === 0 ? value + " B" : value.toFixed(1) + " " + units[unit];
  }

  function exposureText(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    return seconds < 60 ? Math.round(seconds) + " s" : (seconds / 60).toFixed(1).replace(/\.0$/, "") + " min";
  }

  function cell(row, text, className) {
    var td = row.insertCell(-1);
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }

  function linkCell(row, text, href, className) {
    var td = row.insertCell(-1), anchor;
    if (className) { td.className = className; }
    if (!href) { td.textContent = text; return td; }
    anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    td.appendChild(anchor);
    return td;
  }

  var rows = files.map(function (file) {
    var row = document.createElement("tr");
    linkCell(row, file.object, file.page);
    cell(row, file.telescope || "—");
    cell(row, file.type);
    cell(row, file.filter || "—");
    cell(row, exposureText(file.exposure), "num");
    cell(row, sizeText(file.size), "num");
    cell(row, file.date ? file.date.slice(0, 16).replace("T", " ") : "—");
    linkCell(row, (file.path || "—") + (file.url ? "" : " (missing)"), file.url, "path");
    var text = [file.object, file.telescope, file.type, file.filter, file.path, file.date]
      .join(" ").toLowerCase();
    return { row: row, file: file, text: text };
  });

  function compare(a, b) {
    var x = a.file[order.key], y = b.file[order.key];
    if (x === y) { return 0; }
    if (x === null || x === undefined) { return 1; }
    if (y === null || y === undefined) { return -1; }
    var result = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return order.descending ? -result : result;
  }

  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var kind = type.value, shown = 0, fragment = document.createDocumentFragment();
    rows.slice().sort(compare).forEach(function (entry) {
      var visible = (!kind || entry.file.type === kind) && words.every(function (word) {
        return entry.text.indexOf(word) !== -1;
      });
      entry.row.hidden = !visible;
      shown += visible ? 1 : 0;
      fragment.appendChild(entry.row);
    });
    body.appendChild(fragment);
    count.textContent = shown + " of " + rows.length + " files";
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (th) {
      var button = th.querySelector("button");
      th.setAttribute("aria-sort", button && button.dataset.sort === order.key
        ? (order.descending ? "descending" : "ascending") : "none");
    });
  }

  table.tHead.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sort]");
    if (!button) { return; }
    var key = button.dataset.sort;
    order = { key: key, descending: order.key === key ? !order.descending : key === "date" || key === "size" || key === "exposure" };
    apply();
  });
  search.addEventListener("input", apply);
  type.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  apply();
}());
