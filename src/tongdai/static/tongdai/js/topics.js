/*
 * Topic picker: enhances <select multiple data-topic-picker> (options grouped by category)
 * into chips for the chosen topics plus a searchable, grouped listbox.
 * Type to search (Vietnamese or English label, or code, accents optional); ArrowDown/ArrowUp
 * move; Enter ticks or unticks; Escape closes; Backspace in the empty box removes the last chip.
 * The select stays in the form (hidden) and carries the values.
 */
(function () {
  "use strict";
  var ns = (window.tongdai = window.tongdai || {});

  function TopicPicker(select) {
    this.select = select;
    this.active = -1;
    this.shown = [];
    this.items = Array.prototype.map.call(select.options, function (o) {
      var group = o.parentNode.tagName === "OPTGROUP" ? o.parentNode.label : "";
      return {
        option: o, value: o.value, text: o.textContent.trim(), group: group,
        search: ns.fold(o.textContent + " " + (o.dataset.search || "") + " " + group),
      };
    });
    this.build();
    this.renderChips();
  }

  TopicPicker.prototype.msg = function (key, fallback) {
    return (this.select.form && this.select.form.dataset[key]) || fallback;
  };

  TopicPicker.prototype.build = function () {
    var select = this.select;
    var base = select.id;
    var box = document.createElement("div");
    box.className = "topic-picker";
    var chips = document.createElement("ul");
    chips.className = "chips";
    chips.id = base + "_chips";
    var input = document.createElement("input");
    input.type = "text";
    input.id = base + "_input";
    input.className = "topic-search";
    input.autocomplete = "off";
    input.placeholder = this.msg("msgTopicsSearch", "");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var list = document.createElement("div");
    list.id = base + "_listbox";
    list.className = "topic-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);
    var label = document.querySelector('label[for="' + base + '"]');
    if (label) {
      label.id = label.id || base + "_label";
      label.htmlFor = input.id;
      list.setAttribute("aria-labelledby", label.id);
      chips.setAttribute("aria-labelledby", label.id);
    }
    var described = [chips.id];
    if (select.getAttribute("aria-describedby")) { described.push(select.getAttribute("aria-describedby")); }
    input.setAttribute("aria-describedby", described.join(" "));
    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.parentNode.insertBefore(box, select);
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    this.box = box;
    this.chips = chips;
    this.input = input;
    this.list = list;
    select.tdTopicPicker = this;

    var self = this;
    input.addEventListener("input", function () { self.open(); });
    input.addEventListener("focus", function () { self.open(); });
    input.addEventListener("keydown", function (e) { self.onKey(e); });
    input.addEventListener("blur", function () { self.close(); input.value = ""; });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    list.addEventListener("click", function (e) {
      var el = e.target.closest("[role=option]");
      if (el) { self.toggle(Number(el.dataset.index)); }
    });
    chips.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-value]");
      if (button) { self.setChosen(button.dataset.value, false); input.focus(); }
    });
  };

  TopicPicker.prototype.open = function () {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.filter();
  };

  TopicPicker.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  TopicPicker.prototype.filter = function () {
    var query = ns.fold(this.input.value);
    this.shown = this.items.filter(function (item) { return ns.foldMatches(item.search, query); });
    this.render();
    this.setActive(this.shown.length && query ? 0 : -1);
  };

  TopicPicker.prototype.render = function () {
    var list = this.list;
    list.textContent = "";
    var groupEl = null;
    var lastGroup = null;
    var self = this;
    this.shown.forEach(function (item, i) {
      if (item.group !== lastGroup || !groupEl) {
        lastGroup = item.group;
        groupEl = document.createElement("div");
        groupEl.setAttribute("role", "group");
        var head = document.createElement("div");
        head.className = "topic-group";
        head.id = list.id + "-g" + i;
        head.setAttribute("role", "presentation");
        head.textContent = item.group;
        groupEl.setAttribute("aria-labelledby", head.id);
        groupEl.appendChild(head);
        list.appendChild(groupEl);
      }
      var el = document.createElement("div");
      el.id = list.id + "-" + i;
      el.className = "topic-option";
      el.setAttribute("role", "option");
      el.dataset.index = String(i);
      el.setAttribute("aria-selected", item.option.selected ? "true" : "false");
      el.textContent = item.text;
      groupEl.appendChild(el);
    });
    if (!this.shown.length) {
      var none = document.createElement("div");
      none.className = "combobox-empty";
      none.textContent = self.msg("msgNoMatch", "—");
      list.appendChild(none);
    }
  };

  TopicPicker.prototype.setActive = function (index) {
    var old = this.list.querySelector(".is-active");
    if (old) { old.classList.remove("is-active"); }
    this.active = index;
    if (index < 0 || index >= this.shown.length) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    var el = document.getElementById(this.list.id + "-" + index);
    el.classList.add("is-active");
    this.input.setAttribute("aria-activedescendant", el.id);
    el.scrollIntoView({ block: "nearest" });
  };

  TopicPicker.prototype.onKey = function (e) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (this.list.hidden) { this.open(); }
      this.setActive(Math.min(this.active + 1, this.shown.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      this.setActive(Math.max(this.active - 1, 0));
    } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      if (!this.list.hidden && this.active >= 0) { this.toggle(this.active); }
    } else if (e.key === "Escape") {
      if (!this.list.hidden) { e.preventDefault(); this.close(); }
    } else if (e.key === "Backspace" && !this.input.value) {
      var chosen = this.select.selectedOptions;
      if (chosen.length) { this.setChosen(chosen[chosen.length - 1].value, false); }
    }
  };

  TopicPicker.prototype.toggle = function (index) {
    var item = this.shown[index];
    this.setChosen(item.value, !item.option.selected);
    var el = document.getElementById(this.list.id + "-" + index);
    if (el) { el.setAttribute("aria-selected", item.option.selected ? "true" : "false"); }
  };

  TopicPicker.prototype.setChosen = function (value, chosen) {
    var item = this.items.find(function (it) { return it.value === value; });
    if (!item || item.option.selected === chosen) { return; }
    item.option.selected = chosen;
    this.renderChips();
    if (!this.list.hidden) { this.render(); this.setActive(this.active); }
    this.select.dispatchEvent(new Event("change", { bubbles: true }));
  };

  TopicPicker.prototype.renderChips = function () {
    var chips = this.chips;
    var removeLabel = this.msg("msgRemove", "Remove");
    chips.textContent = "";
    Array.prototype.forEach.call(this.select.selectedOptions, function (o) {
      var li = document.createElement("li");
      li.className = "chip";
      var text = document.createElement("span");
      text.textContent = o.textContent.trim();
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chip-remove";
      button.dataset.value = o.value;
      button.setAttribute("aria-label", removeLabel + ": " + o.textContent.trim());
      button.textContent = "×";
      li.appendChild(text);
      li.appendChild(button);
      chips.appendChild(li);
    });
  };

  ns.enhanceTopicPickers = function (root) {
    (root || document).querySelectorAll("select[data-topic-picker]").forEach(function (select) {
      if (!select.tdTopicPicker) { new TopicPicker(select); }
    });
  };
})();
