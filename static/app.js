// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Forms with data-confirm ask first (capture phase, so htmx never sees a cancelled submit).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // Copy buttons: data-copy="#selector" copies that element's text.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    });
  });

  // <time datetime="…Z"> shows the viewer's local time; the UTC value stays in the title.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
      t.setAttribute("data-local", "");
    });
  }

  // Times typed into forms are in the viewer's zone: the hidden tz_offset field says which
  // (minutes east of UTC, at the typed time, so a date across a DST change reads right), and
  // the zone's name replaces "UTC" in the labels. Without this file the server reads UTC.
  function offsetAt(value) {
    var d = value ? new Date(value) : new Date();
    if (isNaN(d)) d = new Date();
    return String(-d.getTimezoneOffset());
  }
  function fillOffset(form) {
    var field = form.querySelector("input[data-tz-offset]");
    if (!field) return;
    var typed = null;
    var inputs = form.querySelectorAll("input[type=datetime-local]");
    for (var i = 0; i < inputs.length && !typed; i++) if (inputs[i].value) typed = inputs[i];
    field.value = offsetAt(typed && typed.value);
  }
  function zoneName() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function localZones(root) {
    var name = zoneName();
    root.querySelectorAll("[data-tz-name]").forEach(function (el) {
      el.textContent = el.getAttribute("data-tz-name") === "short"
        ? "your time"
        : "your time zone" + (name ? " (" + name + ")" : "");
    });
    root.querySelectorAll("input[data-tz-offset]").forEach(function (f) {
      if (f.form) fillOffset(f.form);
    });
  }
  document.addEventListener("input", function (e) {
    if (e.target.type === "datetime-local" && e.target.form) fillOffset(e.target.form);
  }, true);
  document.addEventListener("submit", function (e) {
    if (e.target.querySelector) fillOffset(e.target);
  }, true);

  // A link to a part of the page inside a closed <details> (e.g. #replay-panel) opens it.
  function openTarget() {
    if (!location.hash) return;
    var el = document.getElementById(location.hash.slice(1));
    for (; el; el = el.parentElement) if (el.tagName === "DETAILS") el.open = true;
  }

  function enhance(root) { localTimes(root); localZones(root); }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); openTarget(); });
  document.addEventListener("htmx:after:swap", function () { enhance(document); });
})();
