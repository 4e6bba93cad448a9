/*
 * An accessible type-ahead (ARIA 1.2 combobox pattern) that progressively enhances a plain
 * <select data-combobox>. The select stays in the form, hidden, and keeps the value; without
 * JavaScript it works on its own. Matching ignores accents: "da nang" finds "Đà Nẵng".
 *
 * Keys: type to filter, ArrowDown/ArrowUp to move, Enter or Tab to choose, Escape to close.
 * Options may carry data-search (extra folded text to match, e.g. the full official name).
 * Fire "td:options" on the select after changing its options (communes of a new province).
 */
(function () {
  "use strict";
  var ns = (window.tongdai = window.tongdai || {});
  var MAX_SHOWN = 60;

  function Combobox(select) {
    this.select = select;
    this.items = [];
    this.shown = [];
    this.active = -1;
    this.build();
    this.syncFromSelect();
  }

  Combobox.prototype.build = function () {
    var select = this.select;
    var base = select.id;
    var wrap = document.createElement("div");
    wrap.className = "combobox";
    var input = document.createElement("input");
    input.type = "text";
    input.id = base + "_input";
    input.className = "combobox-input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var list = document.createElement("ul");
    list.id = base + "_listbox";
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);

    var label = document.querySelector('label[for="' + base + '"]');
    if (label) {
      label.id = label.id || base + "_label";
      label.htmlFor = input.id;
      list.setAttribute("aria-labelledby", label.id);
    }
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) {
        input.setAttribute(name, select.getAttribute(name));
      }
    });
    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.parentNode.insertBefore(wrap, select);
    wrap.appendChild(input);
    wrap.appendChild(list);
    this.input = input;
    this.list = list;
    select.tdCombobox = this;

    var self = this;
    input.addEventListener("input", function () { self.open(); self.filter(); });
    input.addEventListener("keydown", function (e) { self.onKey(e); });
    input.addEventListener("blur", function () { self.commit(); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { if (self.list.hidden) { self.open(); self.filter(); } });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus in the input
    list.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) { self.choose(li.dataset.value); }
    });
    select.addEventListener("td:options", function () { self.syncFromSelect(); });
    select.addEventListener("change", function () { self.showSelected(); });
  };

  Combobox.prototype.syncFromSelect = function () {
    var fold = ns.fold;
    this.items = Array.prototype.filter.call(this.select.options, function (o) { return o.value !== ""; })
      .map(function (o) {
        var text = o.textContent.trim();
        return { value: o.value, text: text, search: fold(text + " " + (o.dataset.search || "")), start: fold(text) };
      });
    var empty = this.select.querySelector('option[value=""]');
    this.input.placeholder = empty ? empty.textContent.trim() : "";
    if (document.activeElement === this.input && this.input.value && !this.select.value) {
      // Typed before the options arrived (communes load after the province is chosen):
      // keep the text and show what now matches it.
      this.open();
      this.filter();
    } else {
      this.showSelected();
    }
  };

  Combobox.prototype.showSelected = function () {
    var option = this.select.selectedOptions[0];
    this.input.value = option && option.value ? option.textContent.trim() : "";
  };

  Combobox.prototype.open = function () {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Combobox.prototype.filter = function () {
    var query = ns.fold(this.input.value);
    var found = this.items.filter(function (item) { return ns.foldMatches(item.search, query); });
    // Names that start with what was typed come first: "dak" -> "Đắk Lắk" before "Ea Đắk".
    found.sort(function (a, b) {
      return (b.start.indexOf(query) === 0) - (a.start.indexOf(query) === 0);
    });
    this.shown = found.slice(0, MAX_SHOWN);
    this.render(found.length);
    this.setActive(this.shown.length && query ? 0 : -1);
  };

  Combobox.prototype.render = function (total) {
    var list = this.list;
    var current = this.select.value;
    list.textContent = "";
    var self = this;
    this.shown.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.dataset.value = item.value;
      li.textContent = item.text;
      li.setAttribute("aria-selected", item.value === current ? "true" : "false");
      list.appendChild(li);
    });
    if (!this.shown.length) {
      var none = document.createElement("li");
      none.className = "combobox-empty";
      none.textContent = self.message("msgNoMatch", "—");
      list.appendChild(none);
    } else if (total > this.shown.length) {
      var more = document.createElement("li");
      more.className = "combobox-more";
      more.textContent = "… +" + (total - this.shown.length);
      list.appendChild(more);
    }
  };

  Combobox.prototype.message = function (key, fallback) {
    var form = this.select.form;
    return (form && form.dataset[key]) || fallback;
  };

  Combobox.prototype.setActive = function (index) {
    var old = this.list.querySelector(".is-active");
    if (old) { old.classList.remove("is-active"); }
    this.active = index;
    if (index < 0 || index >= this.shown.length) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    var li = document.getElementById(this.list.id + "-" + index);
    li.classList.add("is-active");
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.onKey = function (e) {
    var isOpen = !this.list.hidden;
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        if (!isOpen) { this.open(); this.filter(); }
        this.setActive(Math.min(this.active + 1, this.shown.length - 1));
        break;
      case "ArrowUp":
        e.preventDefault();
        if (isOpen) { this.setActive(Math.max(this.active - 1, 0)); }
        break;
      case "Enter":
        if (e.ctrlKey || e.metaKey) { this.commit(); return; }  // Ctrl+Enter completes the form
        e.preventDefault();
        if (isOpen && this.active >= 0) { this.choose(this.shown[this.active].value); }
        break;
      case "Escape":
        if (isOpen) { e.preventDefault(); this.close(); this.showSelected(); }
        break;
      case "Tab":
        if (isOpen && this.active >= 0) { this.choose(this.shown[this.active].value); }
        break;
      default:
        break;
    }
  };

  /* Leaving the box: take the highlighted match, clear on empty text, else undo the typing. */
  Combobox.prototype.commit = function () {
    if (this.list.hidden) {
      if (!this.input.value.trim() && this.select.value) { this.choose(""); }
      return;
    }
    if (!this.input.value.trim()) { this.choose(""); return; }
    if (this.active >= 0) { this.choose(this.shown[this.active].value); return; }
    this.close();
    this.showSelected();
  };

  Combobox.prototype.choose = function (value) {
    var changed = this.select.value !== value;
    this.select.value = value;
    this.close();
    this.showSelected();
    if (changed) {
      this.select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  };

  ns.enhanceComboboxes = function (root) {
    (root || document).querySelectorAll("select[data-combobox]").forEach(function (select) {
      if (!select.tdCombobox && !select.multiple) {
        new Combobox(select);
      }
    });
  };
  ns.Combobox = Combobox;
})();
