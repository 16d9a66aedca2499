// The notes desk's one script. Pages work without it; it adds the live preview of the
// note form (pages laid out by the server exactly as the PDF, refreshed 100 ms after
// typing stops) and refreshes the deliveries of a note page while a distribution runs.
(function () {
  "use strict";

  var form = document.getElementById("note-form");
  var target = document.getElementById("preview");
  if (form && target) {
    var status = document.getElementById("preview-status");
    var timer = null;
    var asked = 0;
    var refresh = function () {
      var data = new URLSearchParams(new FormData(form));
      if (target.dataset.editing) {
        data.set("editing", target.dataset.editing);
      }
      var mine = ++asked;
      fetch("/preview", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) {
            return { ok: response.ok, text: text };
          });
        })
        .then(function (answer) {
          if (mine !== asked) {
            return; // a later preview is on its way
          }
          if (answer.ok) {
            target.innerHTML = answer.text;
            var pages = target.querySelectorAll("svg.page").length;
            target.dataset.pages = String(pages);
            status.textContent = pages + " " + status.dataset.pages;
          } else {
            status.textContent = answer.text;
          }
        })
        .catch(function () {
          status.textContent = "…";
        });
    };
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 100);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }

  var deliveries = document.getElementById("deliveries");
  if (deliveries && deliveries.dataset.live === "true") {
    var poll = setInterval(function () {
      fetch(window.location.pathname, { credentials: "same-origin" })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser()
            .parseFromString(html, "text/html")
            .getElementById("deliveries");
          if (!fresh) {
            return;
          }
          deliveries.innerHTML = fresh.innerHTML;
          deliveries.dataset.live = fresh.dataset.live;
          if (fresh.dataset.live !== "true") {
            clearInterval(poll);
          }
        })
        .catch(function () {});
    }, 1500);
  }
})();
