// Rows of the task forms (issue #18): add and remove lines, the chosen factor's unit, a running total
// per category. Loaded as a static file (the CSP forbids inline script). Without script the page still
// works: "More rows" is a submit that brings the page back with what is typed and empty rows, and the
// platform computes every official figure on the server.
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.tBodies[0].querySelectorAll("tr[data-row]"));
  }

  function nextIndex(table) {
    var list = table.getAttribute("data-rows");
    var pattern = new RegExp("^" + list + "-(\\d+)-");
    var max = -1;
    table.querySelectorAll("[name]").forEach(function (el) {
      var match = pattern.exec(el.name);
      if (match) { max = Math.max(max, parseInt(match[1], 10)); }
    });
    return max + 1;
  }

  function clearRow(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else { el.value = ""; }
      el.classList.remove("is-invalid");
    });
    row.querySelectorAll(".invalid-feedback, .attached").forEach(function (el) { el.remove(); });
  }

  function addRow(table) {
    var rows = rowsOf(table);
    var last = rows[rows.length - 1];
    var list = table.getAttribute("data-rows");
    var index = nextIndex(table);
    var pattern = new RegExp("^" + list + "-\\d+-");
    var row = last.cloneNode(true);
    row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && pattern.test(value)) { el.setAttribute(attr, value.replace(pattern, list + "-" + index + "-")); }
      });
    });
    clearRow(row);
    last.parentNode.insertBefore(row, last.nextSibling);
    addRemoveButton(table, row);
    var first = row.querySelector("select, input:not([type=hidden])");
    if (first) { first.focus(); }
    update(table);
  }

  function addRemoveButton(table, row) {
    var cell = row.lastElementChild;
    cell.textContent = "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-danger btn-sm remove-row";
    button.setAttribute("aria-label", table.getAttribute("data-remove-label"));
    button.title = table.getAttribute("data-remove-label");
    button.textContent = "×";
    button.addEventListener("click", function () {
      if (rowsOf(table).length > 1) { row.remove(); } else { clearRow(row); }
      update(table);
    });
    cell.appendChild(button);
  }

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function number(el) {
    if (!el || el.value.trim() === "") { return null; }
    var value = Number(el.value.trim());
    return isFinite(value) ? value : null;
  }

  function update(table) {
    if (!table.hasAttribute("data-activity")) { return; }
    var categories = JSON.parse(table.getAttribute("data-categories") || "{}");
    var totals = {};
    rowsOf(table).forEach(function (row) {
      var select = field(row, "factor_key");
      var option = select && select.options[select.selectedIndex];
      if (!option || !option.value) { return; }
      var unit = option.getAttribute("data-unit");
      var unitInput = field(row, "unit");
      if (unitInput && unit && unitInput.value !== unit) { unitInput.value = unit; }
      var quantity = number(field(row, "quantity"));
      var distance = number(field(row, "distance_km"));
      var people = number(field(row, "people"));
      if (quantity === null && distance !== null && people !== null) { quantity = distance * people; }
      var kg = Number(option.getAttribute("data-kg"));
      if (quantity === null || !isFinite(kg)) { return; }
      var category = option.getAttribute("data-category");
      totals[category] = (totals[category] || 0) + quantity * kg / 1000;
    });
    var out = table.closest("fieldset").querySelector(".running-total");
    if (!out) { return; }
    var parts = Object.keys(totals).map(function (key) {
      return (categories[key] || key) + " " + totals[key].toFixed(3);
    });
    out.textContent = parts.length ? table.getAttribute("data-total-label") + ": " + parts.join(" · ") : "";
  }

  document.querySelectorAll("table[data-rows]").forEach(function (table) {
    if (table.hasAttribute("data-growable")) {
      rowsOf(table).forEach(function (row) { addRemoveButton(table, row); });
      var more = table.closest("fieldset").querySelector("button.more-rows");
      if (more) {
        more.type = "button";  // with script a row is added here; without it the submit asks the server
        more.setAttribute("data-js", "");
        more.addEventListener("click", function (event) { event.preventDefault(); addRow(table); });
      }
    }
    table.addEventListener("change", function () { update(table); });
    table.addEventListener("input", function () { update(table); });
    update(table);
  });
})();
