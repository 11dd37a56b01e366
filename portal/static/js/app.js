// Small enhancements only: every page works without this file.
(function () {
  "use strict";

  // Move focus to an error summary after a rejected form, so screen readers hear it.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors(document);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrors(event.detail.target);
  });

  // An expired session during an htmx request: go to the sign-in page.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401) {
      var target = xhr.getResponseHeader("HX-Redirect");
      if (target) {
        window.location.assign(target);
      }
    }
  });
})();
