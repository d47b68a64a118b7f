/* Draw an event's BPMN diagram with bpmn-js and mark done, current and overdue elements. */
(function () {
  "use strict";
  var canvas = document.getElementById("bpmn-canvas");
  if (!canvas || typeof BpmnJS === "undefined") { return; }
  var split = function (value) { return value ? value.split(",") : []; };
  var viewer = new BpmnJS({ container: canvas });
  fetch(canvas.dataset.diagramUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var view = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      view.zoom("fit-viewport");
      [["completed", "tz-done"], ["current", "tz-current"], ["overdue", "tz-overdue"]].forEach(function (pair) {
        split(canvas.dataset[pair[0]]).forEach(function (id) {
          if (registry.get(id)) { view.addMarker(id, pair[1]); }
        });
      });
    })
    .catch(function (error) {
      canvas.textContent = canvas.dataset.errorText || String(error);
    });
}());
