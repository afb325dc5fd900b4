// The page's side of the service worker (public/sw.js; docs/offline.md): registers it, passes
// what it reports on to the apps as window events, and offers the outbox on `window.tessera`.
//
// JavaScript like the worker it talks to: the messages are the worker's plain objects, and
// going through Rust would only copy them back and forth.
//
// - `mfe:offline` (detail: the state, also `window.tessera.offline()`): `supported`, `backend`
//   ("up", "down", "unknown"), `syncing`, `pending`, `inbox`, `lastSync` (epoch ms or null),
//   `signInNeeded`, `version` (the build the worker keeps), `pageVersion` (this page's build),
//   `updateAvailable` (a newer build is ready: reload to use it).
// - `mfe:outbox` (detail: `{kind, store, entry}`): a write was `queued`, `synced`, `rejected`
//   (moved to the inbox) or `discarded`. Apps refetch what it touches.
// - `window.tessera.outbox()` → Promise of `{outbox: [...], inbox: [...]}`, oldest first;
//   `syncNow()`; `discard(store, id)` (store "outbox" or "inbox") → Promise of a boolean;
//   `applyUpdate()` reloads into the newest build.

const RETRY_MS = 30000;

const pageVersion = document.querySelector('meta[name="tessera-version"]')?.content || null;

const state = {
  supported: "serviceWorker" in navigator,
  backend: "unknown",
  syncing: false,
  pending: 0,
  inbox: 0,
  lastSync: null,
  signInNeeded: false,
  version: null,
  pageVersion,
  updateAvailable: false,
};

function emit(name, detail) {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

function snapshot() {
  return { ...state };
}

// How long a question to the worker may take before the page goes on without its answer.
const REPLY_MS = 3000;

// Sends a message to the worker. Without `expectReply` it waits for a worker to be ready;
// with it, it asks the worker controlling this page (none: nothing of this page went through
// a worker) and resolves with the reply, or `undefined` after a while.
async function post(message, expectReply = false) {
  if (!state.supported) return undefined;
  if (!expectReply) {
    const registration = await navigator.serviceWorker.ready;
    if (registration.active) registration.active.postMessage(message);
    return undefined;
  }
  const worker = navigator.serviceWorker.controller;
  if (!worker) return undefined;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(undefined), REPLY_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

function received(event) {
  const message = event.data || {};
  switch (message.type) {
    case "state":
      Object.assign(state, message.state, { pageVersion, supported: true, updateAvailable: state.updateAvailable });
      emit("mfe:offline", snapshot());
      break;
    case "update-available":
      // A build the worker just precached. Newer than this page's unless it is this page's.
      state.updateAvailable = Boolean(pageVersion && message.version && message.version !== pageVersion);
      emit("mfe:offline", snapshot());
      break;
    case "queued":
    case "synced":
    case "rejected":
      emit("mfe:outbox", { kind: message.type, store: message.type === "rejected" ? "inbox" : "outbox", entry: message.entry });
      break;
    case "discarded":
      emit("mfe:outbox", { kind: "discarded", store: message.store, entry: message.entry });
      break;
    case "sign-in-needed":
      state.signInNeeded = true;
      emit("mfe:offline", snapshot());
      break;
  }
}

export function install_offline() {
  const api = window.tessera || (window.tessera = {});
  api.offline = snapshot;
  api.outbox = async () => (await post({ type: "list" }, true)) || { outbox: [], inbox: [] };
  api.syncNow = () => post({ type: "sync" });
  api.discard = async (store, id) => Boolean(await post({ type: "discard", store, id }, true));
  api.applyUpdate = () => window.location.reload();
  if (!state.supported) {
    emit("mfe:offline", snapshot());
    return;
  }
  navigator.serviceWorker.addEventListener("message", received);
  navigator.serviceWorker.startMessages();
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("tessera: the service worker could not be registered", error);
  });
  post({ type: "hello" });
  post({ type: "preload" });
  // Back online: send what waits at once instead of at the next retry.
  window.addEventListener("online", () => post({ type: "sync" }));
  // The live socket (re)opened: the host is reachable again, so what waits can go now; the
  // worker would otherwise only notice at its next API answer.
  window.addEventListener("mfe:live-status", (event) => {
    if (event.detail?.state === "open" && state.pending > 0 && !state.syncing) post({ type: "sync" });
  });
  // A new composition (a deploy, pushed live): precache it.
  window.addEventListener("mfe:composition", () => post({ type: "check-update" }));
  // The worker may be stopped between events, and its timers with it: the page keeps asking.
  setInterval(() => {
    if (state.pending > 0 && !state.syncing && !document.hidden) post({ type: "sync" });
  }, RETRY_MS);
}
