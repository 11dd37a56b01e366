// Small enhancements only: every page works without this file.
(function () {
  "use strict";

  var BACKGROUND = { "X-Waypoint-Background": "1" };

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  // Move focus to an error summary after a rejected form, so screen readers hear it.
  function focusErrors(root) {
    var summary = (root || document).querySelector("#error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // ---- Typed text survives an expired session --------------------------------------
  // Forms marked data-preserve keep what is typed in this tab's sessionStorage until a
  // submit lands on a page that is not the sign-in page.
  var FORM_PREFIX = "waypoint:form:";
  var PENDING = "waypoint:pending";

  function formKey(form) {
    return FORM_PREFIX + (form.getAttribute("data-preserve") || form.getAttribute("action") || location.pathname);
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && ["password", "hidden", "file", "submit", "button"].indexOf(el.type) === -1;
    });
  }

  function saveForm(form) {
    var data = {};
    keptFields(form).forEach(function (el) {
      data[el.name] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    try {
      sessionStorage.setItem(formKey(form), JSON.stringify(data));
    } catch (e) { /* storage full or disabled: the page still holds the text */ }
  }

  function saveForms() {
    document.querySelectorAll("form[data-preserve]").forEach(saveForm);
  }

  function restoreForm(form) {
    var raw = sessionStorage.getItem(formKey(form));
    if (!raw) {
      return;
    }
    var data = JSON.parse(raw);
    var restored = false;
    keptFields(form).forEach(function (el) {
      if (!(el.name in data)) {
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") {
        return;
      }
      if (el.value !== data[el.name] && (el.value === "" || el.value === el.defaultValue)) {
        el.value = data[el.name];
        restored = true;
      }
    });
    if (restored) {
      var notice = form.querySelector("[data-restored-notice]");
      if (notice) {
        notice.hidden = false;
      }
    }
  }

  function setUpPreservedForms() {
    var pending = sessionStorage.getItem(PENDING);
    if (pending) {
      sessionStorage.removeItem(PENDING);
      if (document.body.getAttribute("data-page") !== "login") {
        // The submit reached the server: saved, or shown again with the text in it.
        sessionStorage.removeItem(pending);
      }
      // On the sign-in page the session had ended: keep the text for after signing in.
    }
    document.querySelectorAll("form[data-preserve]").forEach(function (form) {
      restoreForm(form);
      form.addEventListener("input", function () { saveForm(form); });
      form.addEventListener("submit", function () {
        saveForm(form);
        sessionStorage.setItem(PENDING, formKey(form));
      });
    });
  }

  // ---- Idle sign-out warning --------------------------------------------------------
  function setUpSessionTimer() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-session-idle") || "0", 10);
    var dialog = document.getElementById("session-warning");
    if (!idle || !dialog) {
      return;
    }
    var warning = parseInt(body.getAttribute("data-session-warning") || "60", 10);
    var statusUrl = body.getAttribute("data-session-status-url");
    var keepaliveUrl = body.getAttribute("data-session-keepalive-url");
    var loginUrl = body.getAttribute("data-login-url");
    var warnTimer = null;
    var endTimer = null;

    function schedule(secondsLeft) {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      warnTimer = setTimeout(beforeWarning, Math.max(0, secondsLeft - warning) * 1000);
      endTimer = setTimeout(beforeEnd, (secondsLeft + 1) * 1000);
    }

    // Asking does not extend the session (the request is marked as background).
    function status() {
      return fetch(statusUrl, { headers: BACKGROUND, credentials: "same-origin" }).then(function (r) {
        return r.json();
      });
    }

    function showWarning() {
      if (!dialog.open) {
        dialog.showModal();
        dialog.querySelector("[data-session-stay]").focus();
      }
    }

    function beforeWarning() {
      status().then(function (s) {
        if (!s.signed_in) {
          expire();
        } else if (s.seconds_left > warning + 2) {
          schedule(s.seconds_left); // another tab kept the session alive
        } else {
          showWarning();
        }
      }, showWarning);
    }

    function beforeEnd() {
      status().then(function (s) {
        if (s.signed_in && s.seconds_left > 2) {
          schedule(s.seconds_left);
        } else {
          expire();
        }
      }, expire);
    }

    function expire() {
      saveForms();
      window.location.assign(loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search));
    }

    dialog.querySelector("[data-session-stay]").addEventListener("click", function () {
      fetch(keepaliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (r) { return r.json(); }).then(function (s) {
        if (s.signed_in) {
          dialog.close();
          schedule(s.seconds_left);
        } else {
          expire();
        }
      }, expire);
    });

    // A request the person made (not a background one) restarts the clock.
    document.addEventListener("htmx:afterRequest", function (event) {
      var headers = (event.detail.requestConfig || {}).headers || {};
      if (headers["X-Waypoint-Background"] !== "1") {
        schedule(idle);
      }
    });

    schedule(idle);
  }

  // Signing out on purpose: nothing typed stays behind in this tab.
  function setUpSignOut() {
    document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
      form.addEventListener("submit", function () {
        Object.keys(sessionStorage).forEach(function (key) {
          if (key.indexOf("waypoint:") === 0) {
            sessionStorage.removeItem(key);
          }
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors(document);
    setUpSignOut();
    setUpPreservedForms();
    setUpSessionTimer();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrors(event.detail.target);
  });

  // ---- Note editor: a failed autosave says so, and the text stays in the page ------------
  function autosaveFailed(event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) {
      return;
    }
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401) {
      return; // the session ended: the handler below keeps the text and goes to sign in
    }
    var status = document.getElementById("save-status");
    if (status) {
      status.textContent = form.getAttribute("data-save-failed");
      status.classList.add("save-status--failed");
    }
  }
  document.addEventListener("htmx:responseError", autosaveFailed);
  document.addEventListener("htmx:sendError", autosaveFailed);

  function isAutosave(el) {
    return !!(el && el.hasAttribute && el.hasAttribute("data-autosave"));
  }

  // A submit ("Sign note", "Save draft") while an autosave is on its way would carry the
  // version from before that save and be refused as changed elsewhere: it waits for the save,
  // and once it has gone no autosave (one still timed to follow the typing) goes after it.
  var saving = 0;
  var heldSubmit = null;
  var submitted = false;

  function releaseSubmit() {
    if (saving === 0 && heldSubmit) {
      var held = heldSubmit;
      heldSubmit = null;
      held.form.requestSubmit(held.button || undefined);
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (submitted && isAutosave(event.detail.elt)) {
      event.preventDefault();
    }
  });
  // htmx sends a form's request to the formaction of the button last clicked or focused: an
  // autosave while "Sign note" has focus would go to the signing address without a password.
  document.addEventListener("htmx:configRequest", function (event) {
    if (isAutosave(event.detail.elt)) {
      event.detail.path = event.detail.elt.getAttribute("hx-post");
      event.detail.verb = "post";
    }
  });
  document.addEventListener("htmx:beforeSend", function (event) {
    if (isAutosave(event.detail.elt)) {
      saving += 1;
    }
  });
  document.addEventListener("submit", function (event) {
    if (!isAutosave(event.target)) {
      return;
    }
    if (saving > 0) {
      event.preventDefault();
      heldSubmit = { form: event.target, button: event.submitter };
    } else {
      submitted = true;
    }
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!isAutosave(form)) {
      return;
    }
    var status = document.getElementById("save-status");
    if (event.detail.successful && status) {
      status.classList.remove("save-status--failed");
    }
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    if (form.hasAttribute("data-preserve") && (code === 200 || code === 409)) {
      // Saved, or refused as stale: a reload must open the server's draft, not bring this
      // tab's older copy back over a newer save (the next autosave would overwrite it).
      try {
        sessionStorage.removeItem(formKey(form));
      } catch (e) { /* storage disabled: nothing kept */ }
    }
    saving = Math.max(0, saving - 1);
    // After this save's swap (the new version) and once any queued save has started.
    setTimeout(releaseSubmit, 0);
  });

  // Typing the password to sign changes nothing autosave would send (it is left out), so it
  // sets off no save: one on leaving the field would race the click on "Sign note".
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosave] input[type=password]").forEach(function (input) {
      ["input", "change"].forEach(function (type) {
        input.addEventListener(type, function (event) { event.stopPropagation(); });
      });
    });
  });

  // An expired session during an htmx request: go to the sign-in page.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401) {
      var target = xhr.getResponseHeader("HX-Redirect");
      if (target) {
        saveForms();
        window.location.assign(target);
      }
    }
  });
})();
