/*
 * The intake screen: type-ahead places and topics, extra person rows, province -> communes,
 * keyboard shortcuts, and AUTOSAVE.
 *
 * Autosave: ~700 ms after the last change, and when the tab is hidden or closed, the whole
 * form is POSTed to form.dataset.autosaveUrl. The first save of a new contact creates the
 * draft; the answer gives its id and URLs, and the address bar becomes /contacts/<id>/edit so
 * a reload reopens the draft. Every save sends the version it last saw; a 409 means someone
 * else changed the contact and autosave stops. Without JavaScript the buttons post the form.
 */
(function () {
  "use strict";
  var ns = (window.tongdai = window.tongdai || {});
  var form = document.getElementById("intake-form");
  if (!form) {
    return;
  }
  var DEBOUNCE_MS = 700;
  var KEEPALIVE_LIMIT = 60000;  // browsers cap keepalive bodies at 64 KiB
  var RETRY_MS = [3000, 10000, 30000, 60000];
  var statusEl = document.getElementById("autosave-status");
  var idInput = document.getElementById("id_contact_id");
  var versionInput = document.getElementById("id_version");
  var state = { dirty: false, timer: null, inflight: null, pending: false, submitting: false,
                stopped: false, retries: 0, retryTimer: null };
  var communeCache = {};

  function msg(key) { return form.dataset[key] || ""; }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.classList.toggle("is-error", kind === "error");
    statusEl.classList.toggle("is-busy", kind === "busy");
  }

  function enhance(root) {
    if (ns.enhanceComboboxes) { ns.enhanceComboboxes(root); }
    if (ns.enhanceTopicPickers) { ns.enhanceTopicPickers(root); }
  }

  // ------------------------------------------------------------------ person rows

  var rows = document.getElementById("subject-rows");
  var template = document.getElementById("subject-template");

  function updateRemoveButtons() {
    var all = rows.querySelectorAll("[data-subject-row]");
    all.forEach(function (row) {
      var button = row.querySelector("[data-remove-subject]");
      if (button) { button.hidden = all.length < 2; }
    });
  }

  function addSubject() {
    var next = 0;
    rows.querySelectorAll("[data-subject-row]").forEach(function (row) {
      next = Math.max(next, Number(row.dataset.subjectRow) + 1);
    });
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(next));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    enhance(row);
    updateRemoveButtons();
    var first = row.querySelector("input:not([type=hidden]), select:not([hidden])");
    if (first) { first.focus(); }
  }

  rows.addEventListener("click", function (e) {
    var button = e.target.closest("[data-remove-subject]");
    if (!button) { return; }
    button.closest("[data-subject-row]").remove();
    updateRemoveButtons();
    markDirty();
    document.getElementById("btn-add-subject").focus();
  });

  // ------------------------------------------------------------------ province -> communes

  function communesOf(code) {
    if (!communeCache[code]) {
      var url = form.dataset.communesUrl.replace("/00/", "/" + encodeURIComponent(code) + "/");
      communeCache[code] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) { return data.communes; })
        .catch(function (err) { delete communeCache[code]; throw err; });
    }
    return communeCache[code];
  }

  function fillCommunes(select, communes) {
    var keep = select.value;
    var empty = select.querySelector('option[value=""]');
    select.textContent = "";
    if (empty) { select.appendChild(empty); }
    var found = false;
    communes.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.code;
      option.textContent = c.name;
      if (c.code === keep) { option.selected = true; found = true; }
      select.appendChild(option);
    });
    if (!found) { select.value = ""; }
    select.dispatchEvent(new CustomEvent("td:options"));
    if (!found && keep) { select.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function provinceChanged(province) {
    var commune = document.getElementById(province.dataset.communeSelect);
    if (!commune) { return; }
    if (!province.value) { fillCommunes(commune, []); return; }
    communesOf(province.value).then(function (list) { fillCommunes(commune, list); },
                                     function () { /* the plain select still lists what it has */ });
  }

  // ------------------------------------------------------------------ errors from autosave

  function controlOf(name) {
    var el = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (!el) { return null; }
    if (el.tdCombobox) { return el.tdCombobox.input; }
    if (el.tdTopicPicker) { return el.tdTopicPicker.input; }
    return el;
  }

  function focusedName() {
    var active = document.activeElement;
    var box = active && active.closest && active.closest("[data-field]");
    return box ? box.dataset.field : null;
  }

  function showErrors(errors) {
    var focused = focusedName();
    form.querySelectorAll("[data-field]").forEach(function (box) {
      var name = box.dataset.field;
      if (name === focused) { return; }  // do not nag while the field is being typed in
      var p = box.querySelector(".field-error");
      if (!p) { return; }
      var message = errors[name] || "";
      p.textContent = message;
      p.hidden = !message;
      box.classList.toggle("has-error", !!message);
      var control = controlOf(name);
      if (!control) { return; }
      var described = (control.getAttribute("aria-describedby") || "").split(" ")
        .filter(function (id) { return id && id !== p.id; });
      if (message) {
        control.setAttribute("aria-invalid", "true");
        described.push(p.id);
      } else {
        control.removeAttribute("aria-invalid");
      }
      if (described.length) { control.setAttribute("aria-describedby", described.join(" ")); }
      else { control.removeAttribute("aria-describedby"); }
    });
    var summary = document.getElementById("form-errors");
    if (summary && !errors.__all__) { summary.hidden = true; }
  }

  // ------------------------------------------------------------------ autosave

  function autosaveOn() { return form.dataset.autosave === "on" && !state.stopped; }

  function csrfToken() {
    // The cookie, not the form field: signing in again in another tab rotates the token.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : form.elements.csrfmiddlewaretoken.value;
  }

  function formBody() {
    var body = new FormData(form);
    body.set("csrfmiddlewaretoken", csrfToken());
    var size = 0;
    body.forEach(function (value) { size += typeof value === "string" ? value.length * 3 + 64 : 0; });
    return { body: body, small: size < KEEPALIVE_LIMIT };
  }

  function markDirty() {
    state.dirty = true;
    if (!autosaveOn()) { return; }
    setStatus(msg("msgUnsaved"));
    clearTimeout(state.timer);
    state.timer = setTimeout(save, DEBOUNCE_MS);
  }

  function retryLater() {
    clearTimeout(state.retryTimer);
    var delay = RETRY_MS[Math.min(state.retries, RETRY_MS.length - 1)];
    state.retries += 1;
    state.retryTimer = setTimeout(save, delay);
  }

  function applySaved(data) {
    var creating = !idInput.value;
    idInput.value = data.id;
    versionInput.value = data.version;
    form.action = data.edit_url;
    form.dataset.autosaveUrl = data.autosave_url;
    if (creating && window.history && history.replaceState) {
      history.replaceState(null, "", data.edit_url);
    }
    if (creating) {
      // The caller-history panel may have been asked for before this draft had an id, and
      // so list the draft itself: ask again, now leaving it out (#id_contact_id).
      var phone = form.querySelector("[name='caller-phone']");
      if (phone && phone.value && window.htmx) { window.htmx.trigger(phone, "change"); }
    }
    var errors = data.errors || {};
    var text = data.message;
    if (Object.keys(errors).length) { text += " — " + msg("msgFix"); }
    setStatus(text);
    showErrors(errors);
    state.retries = 0;
  }

  function handle(response, data) {
    if (response.ok) {
      applySaved(data);
      return;
    }
    var message = data.message || msg("msgFailed");
    if (response.status === 409 || response.status === 404 || response.status === 403) {
      state.stopped = true;  // a person has to decide: reload, or copy what was typed
      setStatus(message, "error");
    } else if (response.status === 400) {
      setStatus(message, "error");
      showErrors(data.errors || {});
    } else {
      state.dirty = true;  // 401, 5xx: keep trying; the page still holds everything
      setStatus(message, "error");
      retryLater();
    }
  }

  function save() {
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    if (!autosaveOn() || !state.dirty || state.submitting) {
      return Promise.resolve();
    }
    if (state.inflight) {
      state.pending = true;
      return state.inflight;
    }
    state.dirty = false;
    var payload = formBody();
    setStatus(msg("msgSaving"), "busy");
    var request = fetch(form.dataset.autosaveUrl, {
      method: "POST", body: payload.body, credentials: "same-origin", keepalive: payload.small,
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        handle(response, data);
      });
    }).catch(function () {
      state.dirty = true;
      setStatus(msg("msgOffline"), "error");
      retryLater();
    }).finally(function () {
      state.inflight = null;
      if (state.pending) {
        state.pending = false;
        save();
      }
    });
    state.inflight = request;
    return request;
  }

  /* The tab is being hidden or closed: send what is unsaved now, in a request that outlives the page. */
  function flush() {
    if (!state.dirty || state.submitting || !autosaveOn()) { return; }
    if (state.inflight) {
      if (idInput.value) { state.pending = true; }  // a create in flight already carries the text
      return;
    }
    var payload = formBody();
    if (!payload.small && navigator.sendBeacon) {
      navigator.sendBeacon(form.dataset.autosaveUrl, payload.body);
      return;
    }
    save();
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);

  function onEdit(e) {
    var target = e.target;
    if (!target.name || target.name === "contact_id") { return; }  // type-ahead boxes have no name
    markDirty();
    if (e.type === "change" && target.matches("select[data-commune-select]")) { provinceChanged(target); }
    if (target.name === "caller-anonymous") { anonymousChanged(); }
    if (target.name === "urgent") { urgentChanged(); }
  }
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);

  // ------------------------------------------------------------------ small behaviours

  function anonymousChanged() {
    var box = form.elements["caller-anonymous"];
    var name = form.elements["caller-name"];
    if (box && name) { name.disabled = box.checked; }
  }

  function urgentChanged() {
    var box = form.elements.urgent;
    var section = document.getElementById("section-call");
    if (box && section) { section.classList.toggle("is-urgent", box.checked); }
  }

  function submitButton() {
    return document.getElementById("btn-complete") || document.getElementById("btn-save");
  }

  form.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    var action = submitter ? submitter.value : "";
    if (action === "add_subject") {
      e.preventDefault();
      addSubject();
      return;
    }
    if (action === "draft" && autosaveOn()) {
      e.preventDefault();  // save in place: no reload, the counsellor keeps typing
      state.dirty = true;
      save();
      return;
    }
    if (state.inflight) {
      // Wait for the autosave so this post carries its id and version, then post.
      e.preventDefault();
      state.pending = false;
      state.inflight.then(function () { form.requestSubmit(submitter); });
      return;
    }
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    state.submitting = true;
  });

  form.addEventListener("keydown", function (e) {
    var target = e.target;
    if (e.key !== "Enter" || target.tagName !== "INPUT" || e.ctrlKey || e.metaKey) { return; }
    if (target.type !== "submit" && target.type !== "button") {
      e.preventDefault();  // Enter in a box must not post a half-typed call
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var button = submitButton();
      if (button) { form.requestSubmit(button); }
    } else if ((e.key === "s" || e.key === "S") && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      var draft = document.getElementById("btn-save-draft");
      form.requestSubmit(draft || submitButton());
    }
  });

  // ------------------------------------------------------------------ start

  // Error summary links lead to the field, or to the type-ahead box that stands in for it.
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      e.preventDefault();
      var control = target.tdCombobox ? target.tdCombobox.input
        : target.tdTopicPicker ? target.tdTopicPicker.input : target;
      control.focus();
      control.scrollIntoView({ block: "center" });
    });
  }

  enhance(form);
  updateRemoveButtons();
  anonymousChanged();
  urgentChanged();
  if (summary) {
    summary.focus();
    // A new contact sent back with errors is not stored yet: keep it as a draft from now on.
    if (!idInput.value) { markDirty(); }
  }
})();
