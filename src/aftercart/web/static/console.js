// The sandbox shopper console. Everything goes through Aftercart's public API, as an integrator's
// code would call it: a client token from POST /v2/oauth/token, then the sandbox endpoints.
// No framework, no build step; the DOM is built with textContent only (nothing is parsed as HTML).
"use strict";

(() => {
  const root = document.getElementById("console");
  const shopperId = root.dataset.shopperId;
  const api = root.dataset.api;
  const tokenUrl = root.dataset.tokenUrl;
  const TOKEN_KEY = "aftercart.console.token";
  const POLL_MS = 1000;

  const $ = (id) => document.getElementById(id);
  const statusLine = $("console-status");
  const login = $("login");
  const work = $("work");
  const dialog = $("product-dialog");

  let timer = null;
  let busy = false;
  let lastShape = "";
  let lastChats = {};
  let decisions = {};
  // What the user typed, by control id: a re-render must not lose it.
  const drafts = {};
  let chosen = null; // the dialog's purpose: {mode: "replace"|"add", order, item}
  let lastSearch = null;

  class Unauthorized extends Error {}

  function announce(text) {
    statusLine.textContent = "";
    window.setTimeout(() => { statusLine.textContent = text; }, 30);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  const hidden = (text) => el("span", { class: "visually-hidden", text });

  // --- The API --------------------------------------------------------------------------------

  async function call(method, path, body) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new Unauthorized();
    const response = await fetch(api + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    if (response.status === 401) throw new Unauthorized();
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = data.error || {};
      const key = data.meta && data.meta.key ? `${data.meta.key} ` : "";
      throw new Error(`${key}${error.message || `HTTP ${response.status}`}`);
    }
    return data;
  }

  function signedOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopPolling();
    lastShape = "";
    lastChats = {};
    decisions = {};
    $("batches").replaceChildren();
    work.hidden = true;
    login.hidden = false;
    const error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("client-id").focus();
  }

  async function act(what, request) {
    try {
      await request();
      announce(what);
      await refresh();
    } catch (error) {
      if (error instanceof Unauthorized) signedOut("Your session ended. Sign in again.");
      else announce(`Not done: ${error.message}`);
    }
  }

  // --- Sign-in --------------------------------------------------------------------------------

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const clientId = $("client-id").value.trim();
    const secret = $("client-secret").value;
    if (!clientId || !secret) {
      signedOut("Enter the client ID and the client secret.");
      return;
    }
    const response = await fetch(tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_id: clientId,
        client_secret: secret,
        grant_type: "client_credentials",
        scope: "connect:fulfillment",
      }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || !data.access_token) {
      signedOut(`Sign-in failed: ${data.error_description || data.error || response.status}.`);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, data.access_token);
    $("client-secret").value = "";
    showWork();
  });

  $("sign-out").addEventListener("click", () => signedOut("Signed out."));

  function showWork() {
    login.hidden = true;
    work.hidden = false;
    $("login-error").hidden = true;
    refresh().then(() => $("work-title").focus());
    startPolling();
  }

  // --- Polling --------------------------------------------------------------------------------

  function startPolling() {
    stopPolling();
    if (!document.hidden && sessionStorage.getItem(TOKEN_KEY)) {
      timer = window.setInterval(refresh, POLL_MS);
    }
  }

  function stopPolling() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stopPolling();
    else if (sessionStorage.getItem(TOKEN_KEY)) {
      refresh();
      startPolling();
    }
  });

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const shopper = await call("GET", `/shoppers/${shopperId}`);
      const orders = shopper.batches.flatMap((batch) => batch.orders);
      const chats = {};
      await Promise.all(orders.map(async (order) => {
        const path = `/shoppers/${shopperId}/orders/${encodeURIComponent(order.id)}/messages`;
        chats[order.id] = (await call("GET", path)).messages;
      }));
      noticeDecisions(orders);
      const shape = JSON.stringify([shopper, chats]);
      if (shape !== lastShape) {
        lastShape = shape;
        lastChats = chats;
        render(shopper, chats);
      }
    } catch (error) {
      if (error instanceof Unauthorized) signedOut("Your session ended. Sign in again.");
      else if (lastShape !== "missing") {
        lastShape = "missing";
        $("batches").replaceChildren();
        const empty = $("work-empty");
        empty.hidden = false;
        empty.textContent = `Nothing to show: ${error.message}.`;
      }
    } finally {
      busy = false;
    }
  }

  // The customer's answer to a replacement, announced once when it arrives.
  function noticeDecisions(orders) {
    const now = {};
    for (const order of orders) {
      for (const item of order.items) {
        const key = `${order.id}/${item.line_num}`;
        now[key] = item.replacement_status;
        const before = decisions[key];
        if (before === "PENDING" && item.replacement_status === "APPROVED") {
          announce(`The customer approved ${item.replacement ? item.replacement.name : "the replacement"} for ${item.product.name}.`);
        } else if (before === "PENDING" && item.replacement_status === "REJECTED") {
          announce(`The customer rejected the replacement for ${item.product.name}; it is refunded.`);
        }
      }
    }
    decisions = now;
  }

  // --- Rendering ------------------------------------------------------------------------------

  function render(shopper, chats) {
    const focused = document.activeElement && document.activeElement.id;
    $("console-title").textContent = `${shopper.first_name} · shopper ${shopper.id}`;
    const empty = $("work-empty");
    empty.hidden = shopper.batches.length > 0;
    empty.textContent = "No open batches for this client. Generate a batch for this shopper.";
    $("batches").replaceChildren(...shopper.batches.map((batch) => renderBatch(batch, chats)));
    for (const [id, value] of Object.entries(drafts)) {
      const control = $(id);
      if (control) control.value = value;
    }
    if (focused && $(focused)) $(focused).focus();
  }

  function renderBatch(batch, chats) {
    const title = `batch-${batch.id}`;
    const advance = batch.next_state
      ? el("button", {
          type: "button",
          class: "button",
          id: `advance-${batch.id}`,
          onclick: () => act(`Batch ${batch.id} advanced to ${batch.next_state}.`,
            () => call("POST", `/batches/${batch.id}/advance`, {})),
        }, `Advance to ${batch.next_state}`)
      : null;
    return el("section", { class: "card console-batch", "aria-labelledby": title },
      el("div", { class: "console-bar" },
        el("h3", { id: title, text: `Batch ${batch.id} · ${batch.batch_type} · ${batch.workflow_state}` }),
        advance),
      ...batch.orders.map((order) => renderOrder(order, chats[order.id] || [])));
  }

  function renderOrder(order, messages) {
    const title = `order-${order.id}`;
    const lines = el("ul", { class: "console-lines", "aria-label": `Items of order ${order.id}` },
      ...order.items.map((item) => renderItem(order, item)));
    const add = order.items_editable
      ? el("button", {
          type: "button",
          class: "button button-quiet",
          onclick: () => openDialog({ mode: "add", order }),
        }, "Add an item", hidden(` to order ${order.id}`))
      : null;
    return el("article", { class: "console-order", "aria-labelledby": title },
      el("h4", { id: title, text: `Order ${order.id} · ${order.workflow_state}` }),
      order.special_instructions ? el("p", { class: "hint", text: `Instructions: ${order.special_instructions}` }) : null,
      order.items_editable ? null : el("p", { class: "hint", text: "Items can be changed while the batch is picking." }),
      lines, add, renderChat(order, messages));
  }

  function amountText(item) {
    if (item.count !== null) return `${item.count} ×`;
    return item.weight !== null ? `${Number(item.weight)} lb` : "";
  }

  function renderItem(order, item) {
    const key = `${order.id}-${item.line_num}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const name = item.product.name;
    const byWeight = item.count === null;
    const body = el("div", { class: "console-line-main" },
      el("span", { class: "console-amount", text: amountText(item) }),
      el("span", { class: "console-name", text: name }),
      el("span", { class: `console-state console-state-${item.state}`, text: item.state_text }));
    const li = el("li", { class: "console-line", "data-line": item.line_num }, body);
    if (item.special_instructions) li.append(el("p", { class: "hint", text: item.special_instructions }));
    if (!order.items_editable || item.added_by_shopper) return li;

    const inputId = `found-${key}`;
    const amount = el("input", {
      id: inputId,
      type: "number",
      min: "0",
      step: byWeight ? "0.001" : "1",
      max: byWeight ? null : String(item.count),
      inputmode: byWeight ? "decimal" : "numeric",
      value: byWeight ? String(Number(item.delivered_weight ?? item.weight)) : String(item.delivered_count ?? item.count),
      oninput: (event) => { drafts[inputId] = event.target.value; },
    });
    const found = el("form", {
      class: "console-found",
      onsubmit: (event) => {
        event.preventDefault();
        const value = amount.value;
        delete drafts[inputId];
        const body = { status: "found" };
        if (byWeight) body.delivered_weight = value;
        else body.delivered_count = Number(value);
        act(`${name}: found ${value}${byWeight ? " lb" : ""}.`,
          () => call("PUT", itemPath(order, item), body));
      },
    },
      el("label", { for: inputId }, byWeight ? "Weight found (lb)" : "Count found", hidden(` of ${name}`)),
      amount,
      el("button", { type: "submit", class: "button" }, "Found", hidden(` ${name}`)));
    const replace = el("button", {
      type: "button",
      class: "button button-quiet",
      onclick: () => openDialog({ mode: "replace", order, item }),
    }, "Replace…", hidden(` ${name}`));
    const refund = el("button", {
      type: "button",
      class: "button button-quiet",
      onclick: () => act(`${name}: refunded.`,
        () => call("PUT", itemPath(order, item), { status: "to_refund" })),
    }, "Refund", hidden(` ${name}`));
    li.append(el("div", { class: "console-controls" }, found, replace, refund));
    return li;
  }

  function itemPath(order, item) {
    return `/shoppers/${shopperId}/orders/${encodeURIComponent(order.id)}/items/${encodeURIComponent(item.line_num)}`;
  }

  function renderChat(order, messages) {
    const key = order.id.replace(/[^A-Za-z0-9_-]/g, "_");
    const inputId = `chat-${key}`;
    const list = el("ol", { class: "console-chat-log" },
      ...messages.map((m) => el("li", { class: `console-message console-message-${m.sender}` },
        el("span", { class: "console-sender", text: m.sender === "shopper" ? "You" : "Customer" }),
        el("span", { text: m.body }))));
    if (!messages.length) list.append(el("li", { class: "hint", text: "No messages yet." }));
    const log = el("div", { role: "log", "aria-label": `Chat of order ${order.id}` }, list);
    const input = el("input", {
      id: inputId,
      maxlength: "1000",
      autocomplete: "off",
      oninput: (event) => { drafts[inputId] = event.target.value; },
    });
    const form = el("form", {
      class: "console-chat-form",
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        delete drafts[inputId];
        input.value = "";
        act("Message sent.", () => call("POST",
          `/shoppers/${shopperId}/orders/${encodeURIComponent(order.id)}/messages`, { body: text }));
      },
    },
      el("label", { for: inputId }, "Message to the customer", hidden(` of order ${order.id}`)),
      input,
      el("button", { type: "submit", class: "button" }, "Send"));
    return el("section", { class: "console-chat", "aria-label": `Chat of order ${order.id}` },
      el("h5", { text: "Chat" }), log, form);
  }

  // --- The product dialog: replace a line, or add one -------------------------------------------

  function openDialog(purpose) {
    chosen = purpose;
    lastSearch = null;
    const adding = purpose.mode === "add";
    $("product-title").textContent = adding
      ? `Add an item to order ${purpose.order.id}`
      : `Replace ${purpose.item.product.name}`;
    $("product-amount-field").hidden = !adding;
    $("product-results").replaceChildren();
    $("product-scan").hidden = true;
    $("product-query").value = "";
    dialog.showModal();
    $("product-query").focus();
  }

  $("product-close").addEventListener("click", () => dialog.close());

  $("product-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = $("product-query").value.trim();
    if (!query) return;
    try {
      lastSearch = await call("GET", `/products?query=${encodeURIComponent(query)}`);
    } catch (error) {
      if (error instanceof Unauthorized) {
        dialog.close();
        signedOut("Your session ended. Sign in again.");
      } else announce(`Not done: ${error.message}`);
      return;
    }
    const scan = $("product-scan");
    scan.hidden = !lastSearch.scan;
    if (lastSearch.scan) {
      scan.textContent = `${lastSearch.scan.scanned_string} reads as a ${lastSearch.scan.scanned_string_type} barcode: it is sent as a scan with the first product.`;
    }
    const results = lastSearch.products.map((product, index) => el("li", { class: "console-result" },
      el("span", { class: "console-name", text: product.name }),
      el("span", { class: "hint", text: [product.size, product.upc || product.rrc].filter(Boolean).join(" · ") }),
      el("button", { type: "button", class: "button", onclick: () => choose(product, index) },
        "Choose", hidden(` ${product.name}`))));
    $("product-results").replaceChildren(...results);
    announce(`${lastSearch.products.length} product${lastSearch.products.length === 1 ? "" : "s"} found.`);
  });

  function choose(product, index) {
    const purpose = chosen;
    const ref = product.upc ? { upc: product.upc } : { rrc: product.rrc };
    const scans = lastSearch && lastSearch.scan && index === 0 ? [lastSearch.scan] : undefined;
    dialog.close();
    if (purpose.mode === "replace") {
      const body = { status: "replaced", replacement_item: ref, ...(scans ? { scans } : {}) };
      act(`${purpose.item.product.name}: replaced by ${product.name}.`,
        () => call("PUT", itemPath(purpose.order, purpose.item), body));
      return;
    }
    const amount = $("product-amount").value || "1";
    const body = { item: ref, ...(scans ? { scans } : {}) };
    if (product.sold_by_weight) body.delivered_weight = amount;
    else body.delivered_count = Number(amount);
    act(`${product.name} added to order ${purpose.order.id}.`, () => call("POST",
      `/shoppers/${shopperId}/orders/${encodeURIComponent(purpose.order.id)}/items`, body));
  }

  // --- Start ----------------------------------------------------------------------------------

  if (sessionStorage.getItem(TOKEN_KEY)) showWork();
  else signedOut("");
})();
