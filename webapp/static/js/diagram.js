/* Draw an event's BPMN diagram with bpmn-js (issue #18): labels in the UI's language, helper steps
   faded and named for what they do, fit to the width on load, zoom buttons; done, current and overdue
   elements marked. No inline script (CSP): everything comes from data attributes of #bpmn-canvas. */
(function () {
  "use strict";
  var canvas = document.getElementById("bpmn-canvas");
  if (!canvas || typeof BpmnJS === "undefined") { return; }
  var english = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var split = function (value) { return value ? value.split(",") : []; };
  var helperLabels = {};
  try { helperLabels = JSON.parse(canvas.dataset.helperLabels || "{}"); } catch (ignore) { helperLabels = {}; }

  var REQUIREMENT = /\s*\(R-[A-Z0-9-]+\)/g;
  var CJK = /[\u3000-\u9fff\uff00-\uffef]/;
  var COUNT = /^[<>≤≥]?[\d–-]+人$/;  // "≥500人 third party" → "≥500 third party"

  /* "中文 English" → the half of the UI's language; a name without a Chinese half stays as it is. */
  function localize(name) {
    var cut = name.search(/\s+(?=[A-Za-z])/);
    var zh = cut < 0 ? name : name.slice(0, cut);
    if (!CJK.test(zh)) { return name.replace(REQUIREMENT, ""); }
    if (!english || cut < 0) { return zh.replace(REQUIREMENT, ""); }
    var en = name.slice(cut).trim().replace(REQUIREMENT, "");
    return COUNT.test(zh) ? zh.replace("人", "") + " " + en : en;
  }

  function localizeXml(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) { return xml; }
    Array.prototype.forEach.call(doc.getElementsByTagName("*"), function (node) {
      var id = node.getAttribute("id");
      if (id && Object.prototype.hasOwnProperty.call(helperLabels, id)) {
        node.setAttribute("name", helperLabels[id]);
      } else if (node.hasAttribute("name")) {
        node.setAttribute("name", localize(node.getAttribute("name")));
      }
    });
    return new XMLSerializer().serializeToString(doc);
  }

  var viewer = new BpmnJS({ container: canvas });
  var view = null;

  /* The whole width of the diagram in the box, the box as tall as that makes the diagram (within limits). */
  function fitWidth() {
    var box = view.viewbox();
    var inner = box.inner;
    if (!inner.width) { view.zoom("fit-viewport"); return; }
    var margin = 16;
    var width = inner.width + 2 * margin;
    var scale = canvas.clientWidth / width;
    var wanted = Math.round((inner.height + 2 * margin) * scale);
    var height = Math.max(240, Math.min(wanted, Math.round(window.innerHeight * 0.7)));
    if (Math.abs(canvas.clientHeight - height) > 2) {
      canvas.style.height = height + "px";
      view.resized();
    }
    view.viewbox({ x: inner.x - margin, y: inner.y - margin, width: width, height: canvas.clientHeight / scale });
  }

  var actions = {
    "zoom-in": function () { view.zoom(view.zoom() * 1.25); },
    "zoom-out": function () { view.zoom(view.zoom() / 1.25); },
    "fit": fitWidth
  };
  Array.prototype.forEach.call(document.querySelectorAll("[data-diagram-zoom]"), function (button) {
    button.addEventListener("click", function () {
      if (view && actions[button.dataset.diagramZoom]) { actions[button.dataset.diagramZoom](); }
    });
  });

  fetch(canvas.dataset.diagramUrl, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(localizeXml(xml)); })
    .then(function () {
      view = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      registry.forEach(function (element) {
        var bo = element.businessObject || {};
        var helper = Object.prototype.hasOwnProperty.call(helperLabels, element.id) ||
          (/Gateway$/.test(element.type || "") && !bo.name);
        if (helper && !element.labelTarget) { view.addMarker(element.id, "tz-helper"); }
      });
      [["completed", "tz-done"], ["current", "tz-current"], ["overdue", "tz-overdue"]].forEach(function (pair) {
        split(canvas.dataset[pair[0]]).forEach(function (id) {
          if (!registry.get(id)) { return; }
          if (pair[0] !== "completed") { view.removeMarker(id, "tz-helper"); }
          view.addMarker(id, pair[1]);
        });
      });
      fitWidth();
      canvas.dataset.ready = "1";
    })
    .catch(function (error) {
      canvas.textContent = canvas.dataset.errorText || String(error);
    });
}());
