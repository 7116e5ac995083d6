// The order status page's script. Everything it changes goes through Aftercart's public API,
// with a token it gets for this one order by the order-link grant (POST /v2/oauth/token). It
// follows the order's event stream and, on every event, reads the page again and swaps in the
// parts that changed; after a dropped connection it resumes with Last-Event-ID.
"use strict";

(function () {
  const root = document.getElementById("order");
  if (!root) return;
  const orderId = root.dataset.orderId;
  const userId = root.dataset.userId;
  const linkToken = new URLSearchParams(window.location.search).get("token") || "";
  const encodedOrder = encodeURIComponent(orderId);
  const RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;

  let accessToken = null;
  let lastEventId = null;
  let refreshing = null;
  let refreshAgain = false;
  let swapWhenLeft = false;

  // --- The token ---------------------------------------------------------------------------

  async function token(renew) {
    if (accessToken && !renew) return accessToken;
    const body = new URLSearchParams({
      grant_type: "urn:aftercart:params:oauth:grant-type:order-link",
      order_id: orderId,
      order_token: linkToken,
    });
    const response = await fetch("/v2/oauth/token", { method: "POST", body: body });
    if (!response.ok) throw new Error("This link no longer opens the order.");
    accessToken = (await response.json()).access_token;
    return accessToken;
  }

  // A call of the API with the order's token; one retry with a new token after a 401.
  async function api(method, path, payload) {
    for (const renew of [false, true]) {
      const response = await fetch(path, {
        method: method,
        headers: {
          Authorization: "Bearer " + (await token(renew)),
          "Content-Type": "application/json",
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      if (response.status !== 401 || renew) return response;
    }
    throw new Error("unreachable");
  }

  async function problem(response) {
    try {
      const body = await response.json();
      const error = body.error || body.errors || body;
      if (typeof error === "string") return error;
      if (error && error.message) {
        const key = body.meta && body.meta.key ? " (" + body.meta.key + ")" : "";
        return error.message + key;
      }
    } catch (ignored) {
      // Not JSON: the status says enough.
    }
    return "The request failed (" + response.status + ").";
  }

  function say(id, text) {
    const status = document.getElementById(id);
    if (status) status.textContent = text;
  }

  // --- Reading the page again --------------------------------------------------------------

  function refresh() {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = load().finally(function () {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
    return refreshing;
  }

  async function load() {
    const response = await fetch(window.location.href, { cache: "no-store" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = fresh.getElementById("order");
    if (!next) return;
    const focused = document.activeElement && document.activeElement.id;
    const headline = document.getElementById("headline").textContent;
    if (next.dataset.workflowState !== root.dataset.workflowState) {
      swapAll(fresh);
    } else {
      swapLive(fresh);
    }
    if (focused && document.activeElement === document.body) {
      const again = document.getElementById(focused);
      if (again) again.focus();
    }
    const now = document.getElementById("headline").textContent;
    if (now !== headline) announce(now);
  }

  // The same state: only the parts that follow it (forms being filled in stay as they are). A
  // part holding the field the customer is typing in waits until they leave it: replacing the
  // field under the caret would put what they type next before what they typed.
  function swapLive(fresh) {
    const active = document.activeElement;
    fresh.querySelectorAll("[data-live]").forEach(function (part) {
      const here = document.getElementById(part.id);
      if (!here || here.innerHTML === part.innerHTML) return;
      if (active && here.contains(active) && active.matches("input, textarea")) {
        swapWhenLeft = true;
        return;
      }
      const typed = edits(here);
      here.replaceWith(adopt(part));
      restore(typed);
    });
  }

  document.addEventListener("focusout", function () {
    if (!swapWhenLeft) return;
    swapWhenLeft = false;
    refresh();
  });

  // What the customer has typed or ticked and not sent yet, and what a form's status line last
  // told them, by id: it survives a swap (a decision's "approved" would otherwise vanish with the
  // refresh the decision itself asks for).
  function edits(scope) {
    const typed = new Map();
    scope.querySelectorAll("[role=status][id]").forEach(function (status) {
      if (status.textContent) typed.set(status.id, { said: status.textContent });
    });
    scope.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) typed.set(field.id, field.checked);
      } else if (field.type !== "hidden" && field.value !== field.defaultValue) {
        typed.set(field.id, field.value);
      }
    });
    return typed;
  }

  function restore(typed) {
    typed.forEach(function (value, id) {
      const field = document.getElementById(id);
      if (!field) return;
      if (typeof value === "boolean") field.checked = value;
      else if (typeof value === "object") field.textContent = value.said;
      else field.value = value;
    });
  }

  // A new state: forms come and go (the rating form, the item editor), so the whole order.
  function swapAll(fresh) {
    const next = fresh.getElementById("order");
    root.dataset.workflowState = next.dataset.workflowState;
    root.dataset.orderStatus = next.dataset.orderStatus;
    const typed = edits(root);
    root.replaceChildren.apply(root, Array.from(next.childNodes).map(adopt));
    restore(typed);
    document.title = fresh.title;
  }

  function adopt(node) {
    const copy = document.importNode(node, true);
    if (copy.querySelectorAll) reveal(copy);
    return copy;
  }

  function reveal(scope) {
    const parts = Array.from(scope.querySelectorAll(".needs-script"));
    if (scope.classList && scope.classList.contains("needs-script")) parts.push(scope);
    parts.forEach(function (part) {
      part.hidden = false;
    });
  }

  // "Live" is shown while the page holds an open stream.
  let connected = false;
  function showLive() {
    const note = document.getElementById("live-note");
    if (note) note.hidden = !connected;
  }

  function announce(text) {
    const announcer = document.getElementById("announcer");
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = "Order update: " + text;
    }, 50);
  }

  // --- The event stream ----------------------------------------------------------------------

  // Reconnects a second after a stream ends; after failures in a row, waits longer each time,
  // up to half a minute, so that a server that is down is not asked every second.
  async function follow() {
    let failures = 0;
    for (;;) {
      try {
        await stream();
        failures = 0;
      } catch (ignored) {
        failures += 1;
      }
      const pause = Math.min(RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS);
      await new Promise(function (resolve) {
        window.setTimeout(resolve, pause);
      });
      refresh();
    }
  }

  async function stream() {
    for (const renew of [false, true]) {
      const headers = { Accept: "text/event-stream", Authorization: "Bearer " + (await token(renew)) };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const response = await fetch("/v2/post_checkout/orders/" + encodedOrder + "/events", {
        headers: headers,
        cache: "no-store",
      });
      if (response.status === 401 && !renew) continue;
      if (!response.ok || !response.body) throw new Error("stream " + response.status);
      try {
        await read(response.body.getReader());
      } finally {
        connected = false;
        showLive();
      }
      return;
    }
  }

  // Reads Server-Sent Events (WHATWG HTML, "Server-sent events"): keeps the last id, and reads
  // the page again for every event; comments (keep-alives) are skipped.
  async function read(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      if (!connected) {
        // The stream's first bytes: it is subscribed. What changed between the page's last
        // read and now is read again.
        connected = true;
        showLive();
        refresh();
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      // Lines end in CRLF, LF or CR; a CR at the end of a chunk may be the start of a CRLF.
      const keep = buffer.endsWith("\r") ? "\r" : "";
      buffer = buffer.slice(0, buffer.length - keep.length).replace(/\r\n?/g, "\n") + keep;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let isEvent = false;
        block.split("\n").forEach(function (line) {
          if (line.startsWith("id:")) lastEventId = line.slice(3).trim();
          if (line.startsWith("data:")) isEvent = true;
        });
        if (isEvent) refresh();
      }
    }
  }

  // --- What the customer does -------------------------------------------------------------------

  document.addEventListener("click", async function (event) {
    const target = event.target.closest("button[data-decide], button[data-add]");
    if (!target) return;
    target.disabled = true;
    try {
      if (target.dataset.decide) await decide(target);
      else await addItem(target);
    } finally {
      target.disabled = false;
    }
  });

  async function decide(button) {
    const line = button.dataset.line;
    const response = await api(
      "PUT",
      "/v2/post_checkout/orders/" + encodedOrder + "/items/" + encodeURIComponent(line) + "/replacement",
      { status: button.dataset.decide }
    );
    if (!response.ok) return say("decision-status", await problem(response));
    say("decision-status", button.dataset.decide === "APPROVED" ? "Replacement approved." : "Replacement rejected; the item will be refunded.");
    await refresh();
  }

  function currentLines() {
    const form = document.getElementById("edit-form");
    return form ? JSON.parse(form.dataset.lines) : [];
  }

  async function saveLines(lines, statusId, done) {
    if (lines.length === 0) return say(statusId, "An order needs at least one item; cancel the order with the store instead.");
    const response = await api(
      "PUT",
      "/v2/fulfillment/users/" + encodeURIComponent(userId) + "/orders/" + encodedOrder,
      { items: lines }
    );
    if (!response.ok) return say(statusId, await problem(response));
    say(statusId, done);
    await refresh();
  }

  async function addItem(button) {
    const lines = currentLines();
    const lineNum = document.getElementById("edit-form").dataset.nextLine;
    lines.push({ line_num: lineNum, count: 1, item: JSON.parse(button.dataset.add) });
    await saveLines(lines, "edit-status", "Item added.");
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!["chat-form", "rating-form", "edit-form"].includes(form.id)) return;
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      if (form.id === "chat-form") await sendMessage(form);
      else if (form.id === "rating-form") await rate(form);
      else await editItems(form);
    } finally {
      submit.disabled = false;
    }
  });

  async function sendMessage(form) {
    const field = form.elements.body;
    const response = await api("POST", "/v2/post_checkout/chat/" + encodedOrder + "/messages", {
      body: field.value,
    });
    if (!response.ok) return say("chat-status", await problem(response));
    field.value = "";
    say("chat-status", "Sent.");
    await refresh();
  }

  async function rate(form) {
    const stars = form.querySelector("input[name=stars]:checked");
    if (!stars) return say("rating-status", "Choose from 1 to 5 stars.");
    const highlights = Array.from(form.querySelectorAll("input[name=highlights]:checked")).map(function (box) {
      return box.value;
    });
    const note = form.elements.note.value.trim();
    const response = await api("POST", "/v2/feedback/orders/" + encodedOrder + "/rating", {
      rating_value: "STARS" + stars.value,
      highlights: highlights,
      thank_you_note: note || null,
    });
    if (!response.ok) return say("rating-status", await problem(response));
    say("rating-status", "Thank you: your rating was sent.");
  }

  async function editItems(form) {
    const lines = [];
    for (const line of currentLines()) {
      const input = form.querySelector('input[data-line="' + CSS.escape(line.line_num) + '"]');
      const amount = input ? Number(input.value) : null;
      if (input && !(amount >= 0)) return say("edit-status", "Give each quantity as a number, 0 or more.");
      if (amount === 0) continue;
      if (amount !== null && line.count !== undefined) line.count = Math.round(amount);
      else if (amount !== null) line.weight = String(amount);
      lines.push(line);
    }
    await saveLines(lines, "edit-status", "Your changes are saved.");
  }

  // --- Start -------------------------------------------------------------------------------

  reveal(document);
  showLive();
  token(false)
    .then(follow)
    .catch(function (error) {
      say("decision-status", error.message);
    });
})();
