/* Counsellor workspace and wallboard: live updates by polling JSON every two seconds.
 * Everything works without it (plain forms and links); this only keeps the page current
 * and follows a screen pop. Rows are built with textContent from <template>s rendered by
 * the server (translated, with the CSRF token), never from HTML strings. */
(function () {
  "use strict";

  function labels() {
    var node = document.getElementById("workspace-labels");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }

  function waited(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  function every(ms, fn) {
    var busy = false;
    function tick() {
      if (busy) { return; }
      busy = true;
      fn().catch(function () { /* next tick retries */ }).then(function () { busy = false; });
    }
    tick();
    return window.setInterval(tick, ms);
  }

  /* ---------------------------------------------------------------- workspace */

  function queueRow(item, root, words) {
    var tpl = document.getElementById("queue-row-template");
    var row = tpl.content.firstElementChild.cloneNode(true);
    row.dataset.type = item.type;
    row.dataset.id = item.id;
    var channel = row.querySelector(".q-channel");
    channel.textContent = (words.channels || {})[item.channel] || item.channel;
    if (item.type === "call") { channel.textContent += " · " + (words.call || ""); }
    if (item.overflowed) {
      var badge = document.createElement("span");
      badge.className = "badge ws-overflow";
      badge.textContent = words.overflowed || "";
      channel.appendChild(document.createTextNode(" "));
      channel.appendChild(badge);
    }
    row.querySelector(".q-wait").textContent = waited(item.waiting_seconds);
    row.querySelector(".q-centre").textContent = item.centre || "—";
    var form = row.querySelector(".q-pick-form");
    var open = row.querySelector(".q-open");
    if (item.type === "conversation") {
      if (form) {
        form.action = root.dataset.pickUrl.replace("/0/", "/" + item.id + "/");
        form.querySelector("[name=version]").value = item.version;
      }
      open.href = root.dataset.workspaceUrl + "?c=" + item.id;
    } else {
      if (form) { form.remove(); }
      open.remove();
    }
    return row;
  }

  function renderQueue(data, root, words) {
    var body = document.getElementById("queue-waiting");
    var keys = data.waiting.map(function (i) { return i.type + i.id + "v" + i.version; }).join(",");
    if (body.dataset.keys === keys) {
      // Same rows: only the waiting times move (the buttons stay where the mouse is).
      body.querySelectorAll(".queue-row").forEach(function (row, n) {
        row.querySelector(".nowrap").textContent = waited(data.waiting[n].waiting_seconds);
      });
    } else {
      var rows = document.createDocumentFragment();
      data.waiting.forEach(function (item) { rows.appendChild(queueRow(item, root, words)); });
      body.replaceChildren(rows);
      body.dataset.keys = keys;
    }
    document.getElementById("queue-count").textContent = String(data.waiting.length);
    document.getElementById("queue-empty").hidden = data.waiting.length > 0;

    var mine = document.getElementById("queue-mine");
    var items = document.createDocumentFragment();
    data.mine.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "mine-row";
      li.dataset.type = item.type;
      li.dataset.id = item.id;
      var label = ((words.channels || {})[item.channel] || item.channel);
      var link = document.createElement("a");
      if (item.type === "conversation") {
        link.href = root.dataset.workspaceUrl + "?c=" + item.id;
        link.textContent = label + " #" + item.id;
      } else if (item.contact) {
        link.href = "/contacts/" + item.contact + "/edit";
        link.textContent = label;
      } else {
        link = document.createTextNode(label);
      }
      li.appendChild(link);
      var time = document.createElement("span");
      time.className = "muted nowrap";
      time.textContent = " " + waited(item.waiting_seconds);
      li.appendChild(time);
      items.appendChild(li);
    });
    mine.replaceChildren(items);
    document.getElementById("mine-empty").hidden = data.mine.length > 0;

    var presence = document.getElementById("presence-current");
    if (presence && data.presence && presence.dataset.status !== data.presence) {
      presence.dataset.status = data.presence;
      presence.textContent = (words.presence || {})[data.presence] || data.presence;
    }
  }

  function messageItem(m, words) {
    var tpl = document.getElementById("message-template");
    var li = tpl.content.firstElementChild.cloneNode(true);
    li.classList.add("ws-msg-" + m.direction);
    li.dataset.id = m.id;
    li.querySelector(".ws-meta").textContent =
      (m.direction === "out" ? m.author : (words.direction || {}).in || "") + " · " + m.sent_at;
    var text = li.querySelector(".ws-text");
    if (m.text) { text.textContent = m.text; } else { text.remove(); }
    var attachment = li.querySelector(".ws-attachment");
    var extra = (m.attachment_url ? [m.attachment_url] : []).concat(m.files || []);
    if (extra.length) { attachment.textContent = extra.join(" · "); } else { attachment.remove(); }
    var badge = li.querySelector(".ws-delivery");
    if (m.delivery) {
      badge.classList.add("ws-delivery-" + m.delivery);
      badge.dataset.delivery = m.delivery;
      badge.textContent = (words.delivery || {})[m.delivery] || m.delivery;
    } else {
      badge.remove();
    }
    var form = li.querySelector(".ws-retry");
    if (m.retry_url) { form.action = m.retry_url; } else { form.remove(); }
    return li;
  }

  function renderMessages(data, root, words, state) {
    var signature = data.messages.map(function (m) { return m.id + ":" + (m.delivery || ""); }).join(",");
    if (data.status !== root.dataset.status) {
      // Picked up, handed back or closed elsewhere: the actions change, show them.
      window.location.reload();
      return;
    }
    root.querySelectorAll("input[name=version]").forEach(function (input) {
      if (input.closest("#conversation-pane")) { input.value = data.version; }
    });
    if (signature === state.signature) { return; }
    var list = document.getElementById("messages");
    var rows = document.createDocumentFragment();
    data.messages.forEach(function (m) { rows.appendChild(messageItem(m, words)); });
    list.replaceChildren(rows);
    state.signature = signature;
    if (data.messages.length) {
      root.dataset.lastMessage = String(data.messages[data.messages.length - 1].id);
    }
  }

  function startWorkspace(root) {
    var words = labels();
    var ms = parseInt(root.dataset.pollMs, 10) || 2000;
    every(ms, function () {
      return getJSON(root.dataset.queueUrl).then(function (data) {
        if (data.pop && data.pop.url) {
          window.location.assign(data.pop.url);
          return;
        }
        renderQueue(data, root, words);
      });
    });
    if (root.dataset.messagesUrl) {
      var state = {signature: null};
      document.querySelectorAll("#messages > li").forEach(function (li) {
        var badge = li.querySelector("[data-delivery]");
        state.signature = (state.signature ? state.signature + "," : "") + li.dataset.id + ":" +
          (badge ? badge.dataset.delivery : "");
      });
      every(ms, function () {
        var url = root.dataset.messagesUrl + "?after=" + encodeURIComponent(root.dataset.lastMessage || "0");
        return getJSON(url).then(function (data) { renderMessages(data, root, words, state); });
      });
    }
  }

  /* ---------------------------------------------------------------- wallboard */

  function setText(scope, selector, value) {
    var node = scope.querySelector(selector);
    if (node) { node.textContent = value; }
  }

  function startWallboard(root) {
    var ms = parseInt(root.dataset.pollMs, 10) || 2000;
    every(ms, function () {
      return getJSON(root.dataset.wallboardUrl).then(function (data) {
        data.centres.forEach(function (c) {
          var card = root.querySelector('[data-centre="' + c.centre + '"]');
          if (!card) { return; }
          setText(card, ".wb-waiting", String(c.waiting));
          setText(card, ".wb-longest", waited(c.longest_wait_seconds));
          setText(card, ".wb-answered", String(c.answered_today));
          setText(card, ".wb-abandoned", String(c.abandoned_today));
          c.counsellors.forEach(function (p) {
            var row = card.querySelector('[data-user="' + p.id + '"]');
            if (!row) { return; }
            setText(row, ".wb-status", p.status_label);
            row.dataset.status = p.status;
            setText(row, ".wb-since", p.since_local || "—");
            setText(row, ".wb-count", String(p.answered_today));
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var workspace = document.getElementById("workspace");
    if (workspace) { startWorkspace(workspace); }
    var board = document.getElementById("wallboard");
    if (board) { startWallboard(board); }
  });
})();
