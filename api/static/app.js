// Small enhancements; every page works without this script.
(function () {
  "use strict";

  // Intake form: add a worker row in place instead of a round trip to the server.
  var add = document.getElementById("add-row");
  var rowsInput = document.getElementById("worker-rows");
  var table = document.getElementById("workers");
  if (add && rowsInput && table) {
    add.addEventListener("click", function (event) {
      var body = table.tBodies[0];
      var last = body.rows[body.rows.length - 1];
      if (!last) { return; }
      event.preventDefault();
      var index = body.rows.length;
      var row = last.cloneNode(true);
      row.cells[0].textContent = String(index + 1);
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (input) {
        input.name = input.name.replace(/^workers\.\d+\./, "workers." + index + ".");
        input.id = input.name.replace(/\./g, "-").replace(/^/, "f-");
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
        var label = input.getAttribute("aria-label");
        if (label) { input.setAttribute("aria-label", label.replace(/第\d+人/, "第" + (index + 1) + "人")); }
      });
      Array.prototype.forEach.call(row.querySelectorAll(".field-error"), function (el) { el.remove(); });
      Array.prototype.forEach.call(row.querySelectorAll(".has-error"), function (el) { el.classList.remove("has-error"); });
      body.appendChild(row);
      rowsInput.value = String(index + 1);
      row.querySelector("input").focus();
    });
  }

  // Intake form: show only the project fields of the chosen option.
  var section = document.getElementById("project-section");
  if (section) {
    var sync = function () {
      var checked = section.querySelector("input[name=project_mode]:checked");
      var mode = checked ? checked.value : "none";
      Array.prototype.forEach.call(section.querySelectorAll("[data-mode]"), function (el) {
        el.hidden = el.getAttribute("data-mode") !== mode;
      });
    };
    section.addEventListener("change", sync);
    sync();
  }

  // Ask before actions that cannot be undone.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-action=close], form[data-action=transfer]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm("此操作提交后不能撤回，确定继续吗？")) { event.preventDefault(); }
    });
  });
})();
