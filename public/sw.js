// Tessera's service worker: the site keeps working offline (docs/offline.md is the design).
//
// - Precache: every URL of the current build, as `/sw-manifest.json` lists it, goes into the
//   cache `tessera-<build>`. A newer build (seen in `/apps.json`, or asked for by the page) is
//   precached in the background, becomes current once complete, and is announced to the pages
//   (`update-available`); other `tessera-<build>` caches are then deleted.
// - Fetch: navigations go to the network and fall back to the cached page; content-hashed
//   bundles (`/apps/…`, `/shell/…`) come from the cache first; manifests and public assets from
//   the network first, the current build's copy when it fails; API reads (`GET /api/…`) from
//   the network with a 3 s limit, keeping every good answer in `tessera-api` and answering
//   that copy, marked `X-Tessera-Offline: 1` and `X-Tessera-As-Of: <epoch ms>`, when the
//   backend can't be reached (no answer, or 502/503/504 from the host).
// - Outbox: an API write that can't reach the backend is kept in IndexedDB (database
//   `tessera`, store `outbox`) and answered `202 {"queued": true, "id"}` with
//   `X-Tessera-Queued: 1`. Writes are replayed oldest first, one at a time, on Background
//   Sync, when the page says so (back online, every 30 s, "Sync now"), when the worker starts
//   and when the backend answers again. Refusals (409, 412, other 4xx) move to the `inbox`
//   store with the server's reason; 401 waits for sign-in; no answer or 5xx waits for later.
//   Each write keeps its `Idempotency-Key`, so a replay after a lost answer is never applied
//   twice.
// - Pages get `{type: "state", state}` whenever something they show changes, and
//   `queued`, `synced`, `rejected`, `discarded`, `sign-in-needed`, `update-available`.
//
// Plain JavaScript on purpose: no build step, no dependencies.

"use strict";

const CACHE_PREFIX = "tessera-";
const API_CACHE = "tessera-api";
const DB_NAME = "tessera";
const DB_VERSION = 1;
const SYNC_TAG = "tessera-outbox";
// How long an API read waits for the network before answering the kept copy.
const READ_TIMEOUT_MS = 3000;
// How long a write waits before it is queued (its idempotency key makes that safe).
const WRITE_TIMEOUT_MS = 15000;
const RETRY_MS = 30000;
const PRELOAD_EVERY_MS = 5 * 60 * 1000;
// The data cache keeps the answers read last, up to this many (searches add up).
const MAX_API_ENTRIES = 300;
// The request headers a queued write keeps (the browser adds the session cookie on replay).
const KEPT_HEADERS = ["accept", "content-type", "idempotency-key", "if-match", "x-csrf"];
// What an app says about a write for the time it waits in the outbox (URI-encoded JSON,
// never sent to the backend).
const META_HEADER = "x-tessera-meta";
const CACHED_AT = "x-tessera-cached-at";
const MANIFESTS = ["/apps.json", "/importmap.json", "/mount-points.json", "/sw-manifest.json"];

// What the reference system's pages read first, fetched into the data cache ahead of need so
// that pages opened offline for the first time have something to show: after the worker
// starts, and when someone signs in. `each` follows a list to its items; `role` needs the
// signed-in user to have it.
const PRELOAD = [
  { url: "/api/menus/restaurants", each: { list: "restaurants", url: (r) => `/api/menus/restaurants/${encodeURIComponent(r.id)}` } },
  { url: "/api/cart/cart", role: "customer" },
  { url: "/api/orders/orders", role: "customer" },
];

// ---------------------------------------------------------------------------------------------
// State (rebuilt from IndexedDB whenever the browser starts the worker)
// ---------------------------------------------------------------------------------------------

const state = {
  // Whether the backend answered the last request: "up", "down" or "unknown".
  backend: "unknown",
  syncing: false,
  pending: 0,
  inbox: 0,
  // When a queued write was last accepted (epoch ms).
  lastSync: null,
  signInNeeded: false,
  // The precached build, and the composition it holds.
  version: null,
  composition: null,
};
// Who the host last said is signed in: `{userId, name, roles}`, `null` (nobody), or
// `undefined` (not seen yet).
let session;
let lastPreload = { user: undefined, at: 0 };
let retryTimer = null;
// Resolves once the state is restored (started at the end of this file, once every helper is
// defined); every event handler waits for it.
let ready;

async function restore() {
  try {
    const [build, stored, lastSync] = await Promise.all([getMeta("build"), getMeta("session"), getMeta("lastSync")]);
    if (build) {
      state.version = build.version;
      state.composition = build.composition;
    }
    session = stored;
    state.lastSync = lastSync ?? null;
    await countEntries();
  } catch (error) {
    console.warn("tessera sw: restoring state", error);
  }
}

// ---------------------------------------------------------------------------------------------
// IndexedDB: `outbox` and `inbox` (keys grow with insertion, so key order is queue order),
// `meta` for the worker's own state
// ---------------------------------------------------------------------------------------------

let database = null;

function db() {
  if (!database) {
    database = new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, DB_VERSION);
      open.onupgradeneeded = () => {
        const d = open.result;
        for (const store of ["outbox", "inbox"]) {
          if (!d.objectStoreNames.contains(store)) d.createObjectStore(store, { keyPath: "id", autoIncrement: true });
        }
        if (!d.objectStoreNames.contains("meta")) d.createObjectStore("meta");
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => {
        database = null;
        reject(open.error);
      };
    });
  }
  return database;
}

// Runs `work(stores)` in one transaction and resolves with the result of the request it
// returns, once the transaction committed.
async function transaction(names, mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(names, mode);
    const stores = Object.fromEntries([].concat(names).map((name) => [name, t.objectStore(name)]));
    let result;
    const request = work(stores);
    if (request) request.onsuccess = () => (result = request.result);
    t.oncomplete = () => resolve(result);
    t.onerror = t.onabort = () => reject(t.error);
  });
}

const all = (store) => transaction(store, "readonly", (s) => s[store].getAll());
const getMeta = (key) => transaction("meta", "readonly", (s) => s.meta.get(key));
const setMeta = (key, value) => transaction("meta", "readwrite", (s) => s.meta.put(value, key));

async function countEntries() {
  const [pending, inbox] = await Promise.all([
    transaction("outbox", "readonly", (s) => s.outbox.count()),
    transaction("inbox", "readonly", (s) => s.inbox.count()),
  ]);
  state.pending = pending;
  state.inbox = inbox;
}

// ---------------------------------------------------------------------------------------------
// Talking to pages
// ---------------------------------------------------------------------------------------------

async function broadcast(message) {
  const clients = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of clients) client.postMessage(message);
}

function broadcastState() {
  return broadcast({ type: "state", state: { ...state } });
}

function setState(changes) {
  const changed = Object.entries(changes).some(([key, value]) => state[key] !== value);
  Object.assign(state, changes);
  if (changed) broadcastState();
}

// The backend answered (`true`) or could not be reached (`false`). Coming back starts a replay.
function noteBackend(up) {
  const before = state.backend;
  setState({ backend: up ? "up" : "down" });
  if (up && before !== "up" && state.pending > 0) replaySoon();
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  switch (message.type) {
    case "hello":
      event.waitUntil(
        ready.then(async () => {
          // A page whose navigation began while this worker was activating misses the claim of
          // `activate` and would stay uncontrolled (no offline answers) until its next load.
          // A worker being replaced can no longer claim; the page still gets its answer.
          await self.clients.claim().catch(() => {});
          await countEntries();
          if (event.source) event.source.postMessage({ type: "state", state: { ...state } });
          if (state.pending > 0) replaySoon();
        }),
      );
      break;
    case "sync":
      event.waitUntil(ready.then(() => replay()).then((done) => reply(done)));
      break;
    case "list":
      event.waitUntil(
        ready
          .then(() => Promise.all([all("outbox"), all("inbox")]))
          .then(([outbox, inbox]) => reply({ outbox, inbox }), () => reply({ outbox: [], inbox: [] })),
      );
      break;
    case "discard":
      event.waitUntil(discard(message.store, message.id).then(reply, () => reply(false)));
      break;
    case "check-update":
      event.waitUntil(ready.then(() => checkForUpdate()).catch(() => {}));
      break;
    case "preload":
      event.waitUntil(ready.then(() => preload(false)));
      break;
  }
});

async function discard(store, id) {
  if (store !== "outbox" && store !== "inbox") return false;
  const entry = await transaction(store, "readonly", (s) => s[store].get(id));
  if (entry) await transaction(store, "readwrite", (s) => s[store].delete(id));
  await countEntries();
  if (entry) broadcast({ type: "discarded", store, entry });
  broadcastState();
  return Boolean(entry);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      await ready;
      // Offline or mid-deploy: the worker installs anyway and precaches on the next occasion.
      await checkForUpdate().catch((error) => console.warn("tessera sw: precache", error));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      await ready;
      await self.clients.claim();
      await deleteOldCaches();
      broadcastState();
      await fetchSession().catch(() => noteBackend(false));
      replaySoon();
      preload(false);
    })(),
  );
});

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    ready.then(() => replay()).then((done) => {
      // Rejecting asks the browser to try again later.
      if (!done && state.backend === "down") throw new Error("the backend can't be reached");
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// Precaching builds
// ---------------------------------------------------------------------------------------------

let updating = null;
let updatingVersion = null;

// Precaches the host's current build unless it is the one already kept; one at a time.
function checkForUpdate() {
  if (!updating) updating = precacheLatest().finally(() => (updating = null));
  return updating;
}

async function precacheLatest() {
  const response = await fetch("/sw-manifest.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`/sw-manifest.json: HTTP ${response.status}`);
  const manifest = await response.json();
  if (manifest.version === state.version) return false;
  updatingVersion = manifest.version;
  try {
    const cache = await caches.open(CACHE_PREFIX + manifest.version);
    const queue = manifest.urls.slice();
    // A few at a time: the bundles are large, the connection is shared with the page.
    await Promise.all(
      [1, 2, 3, 4].map(async () => {
        for (let url = queue.shift(); url !== undefined; url = queue.shift()) await precache(cache, url);
      }),
    );
    // A deploy between the manifest and the page would mix two builds: the page and
    // `/apps.json` must be the manifest's.
    const page = await (await cache.match("/")).text();
    const apps = await (await cache.match("/apps.json")).clone().json();
    if (!page.includes(`content="${manifest.version}"`) || apps.version !== manifest.composition) {
      await caches.delete(CACHE_PREFIX + manifest.version);
      throw new Error("the build changed while it was precached");
    }
    await setMeta("build", { version: manifest.version, composition: manifest.composition });
    state.version = manifest.version;
    state.composition = manifest.composition;
  } finally {
    updatingVersion = null;
  }
  await deleteOldCaches();
  broadcast({ type: "update-available", version: state.version, composition: state.composition });
  broadcastState();
  return true;
}

async function precache(cache, url) {
  if (await cache.match(url)) return;
  // Content-hashed files never change: take them from an older build's cache when it has them.
  if (immutable(url)) {
    const kept = await caches.match(url, { ignoreVary: true });
    if (kept) return cache.put(url, kept);
  }
  const response = await fetch(url, { cache: "no-cache", credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  await cache.put(url, response);
}

async function deleteOldCaches() {
  const keep = new Set([API_CACHE, CACHE_PREFIX + state.version, CACHE_PREFIX + updatingVersion]);
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && !keep.has(name)).map((name) => caches.delete(name)));
}

const immutable = (path) => path.startsWith("/apps/") || path.startsWith("/shell/");

// ---------------------------------------------------------------------------------------------
// Fetch
// ---------------------------------------------------------------------------------------------

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith("/api/")) {
    if (request.method === "GET") event.respondWith(apiRead(event));
    else if (request.method !== "HEAD" && request.method !== "OPTIONS") event.respondWith(apiWrite(request));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // Signing in and out are the host's (and the provider's) pages: never from a cache.
    if (!path.startsWith("/auth/") && !path.startsWith("/_deploy")) event.respondWith(navigation(request));
    return;
  }
  if (immutable(path)) event.respondWith(cacheFirst(request));
  else if (MANIFESTS.includes(path) || path.startsWith("/assets/")) event.respondWith(networkFirst(event, path));
  else if (path === "/auth/session") event.respondWith(sessionRead(event));
});

// Resolves like `promise`, or rejects after `ms`.
function timeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });
}

// The host answering for a backend it can't reach.
const unreachable = (status) => status === 502 || status === 503 || status === 504;

async function currentCache() {
  await ready;
  return state.version ? caches.open(CACHE_PREFIX + state.version) : null;
}

async function fromBuild(path) {
  const cache = await currentCache();
  return (cache && (await cache.match(path, { ignoreVary: true }))) || undefined;
}

async function navigation(request) {
  try {
    const response = await fetch(request);
    if (!unreachable(response.status)) return response;
  } catch (error) {
    noteBackend(false);
  }
  // Every route is the same page: the shell routes on the client.
  const page = (await fromBuild("/")) || (await caches.match("/", { ignoreVary: true }));
  return page || offlinePage();
}

function offlinePage() {
  const html =
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>Offline</title><link rel=\"stylesheet\" href=\"/assets/styles.css\">" +
    '<main class="notfound"><h1>You are offline</h1><p>This page was not saved for offline use yet. ' +
    'It opens once you are back online.</p><a class="btn btn-primary" href="/">Try again</a></main>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { ignoreSearch: true, ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await currentCache();
    if (cache) await cache.put(new URL(request.url).pathname, response.clone());
  }
  return response;
}

// Manifests and public assets: the network's answer, or the current build's copy. Network
// answers are not kept: the build's copies must stay one consistent set.
async function networkFirst(event, path) {
  try {
    const response = await fetch(event.request);
    if (unreachable(response.status)) throw new Error(`HTTP ${response.status}`);
    if (path === "/apps.json" && response.ok) event.waitUntil(peekComposition(response.clone()));
    return response;
  } catch (error) {
    noteBackend(false);
    return (await fromBuild(path)) || Response.error();
  }
}

// A composition other than the precached one: precache the new build.
async function peekComposition(response) {
  try {
    const apps = await response.json();
    await ready;
    if (apps.version !== state.composition) await checkForUpdate();
  } catch (error) {
    console.warn("tessera sw: precaching a new build", error);
  }
}

// `/auth/session`: the network's answer (noting who is signed in), or the last one.
async function sessionRead(event) {
  try {
    return await fetchSession(event.request);
  } catch (error) {
    noteBackend(false);
    const cache = await caches.open(API_CACHE);
    return (await cache.match("/auth/session")) || Response.error();
  }
}

// Asks the host who is signed in, and keeps the answer. Also run when the worker activates:
// the page that installed it asked before the worker controlled it, and a page opened offline
// later needs the answer kept.
async function fetchSession(request = "/auth/session") {
  const response = await fetch(request, { cache: "no-store", credentials: "same-origin" });
  if (unreachable(response.status)) throw new Error(`HTTP ${response.status}`);
  if (response.ok) {
    const body = await response.clone().json();
    await sawSession(body);
    const cache = await caches.open(API_CACHE);
    await cache.put("/auth/session", response.clone());
  }
  return response;
}

// Someone else signed in, or out: what was kept for the previous user must not be shown.
async function sawSession(body) {
  await ready;
  const next = body && body.signedIn ? { userId: body.userId, name: body.name, roles: body.roles || [] } : null;
  const before = session;
  session = next;
  const changed = (before && before.userId) !== (next && next.userId);
  if (changed || before === undefined) await setMeta("session", next);
  if (before && changed) await caches.delete(API_CACHE);
  // Signed in (again): what waited for it is sent now.
  if (next && (changed || state.signInNeeded)) {
    setState({ signInNeeded: false });
    replaySoon();
  }
  if (changed) preload(true);
}

// ---------------------------------------------------------------------------------------------
// API reads: network first, the kept copy when the backend can't be reached
// ---------------------------------------------------------------------------------------------

async function apiRead(event) {
  const request = event.request;
  // Revalidated, never answered by the HTTP cache alone: an answer has to mean that the
  // backend is there (a fresh HTTP-cache copy offline would pass for one).
  const network = fetch(request, { cache: "no-cache" }).then(async (response) => {
    noteBackend(!unreachable(response.status));
    if (response.ok) await keep(request.url, response.clone());
    return response;
  });
  // An answer arriving after the time limit is still kept.
  event.waitUntil(network.catch(() => noteBackend(false)));
  let answer;
  try {
    answer = await timeout(network, READ_TIMEOUT_MS);
    if (!unreachable(answer.status)) return answer;
  } catch (error) {
    // No answer (yet): the kept copy, if there is one.
  }
  const kept = await keptCopy(request.url);
  if (kept) return kept;
  if (answer) return answer;
  try {
    return await network;
  } catch (error) {
    return Response.error();
  }
}

let kept = 0;

async function keep(url, response) {
  const headers = new Headers(response.headers);
  headers.set(CACHED_AT, String(Date.now()));
  const body = await response.blob();
  const cache = await caches.open(API_CACHE);
  // Deleted first, so that the keys stay in the order the answers were read.
  await cache.delete(url);
  await cache.put(url, new Response(body, { status: response.status, statusText: response.statusText, headers }));
  if (++kept % 20 === 0) {
    const keys = await cache.keys();
    await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_API_ENTRIES)).map((key) => cache.delete(key)));
  }
}

async function keptCopy(url) {
  const cache = await caches.open(API_CACHE);
  const kept = await cache.match(url, { ignoreVary: true });
  if (!kept) return undefined;
  const headers = new Headers(kept.headers);
  headers.set("X-Tessera-Offline", "1");
  headers.set("X-Tessera-As-Of", kept.headers.get(CACHED_AT) || "0");
  return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
}

// ---------------------------------------------------------------------------------------------
// API writes: straight through while the backend answers, into the outbox when it can't
// ---------------------------------------------------------------------------------------------

async function apiWrite(request) {
  const headers = {};
  for (const name of KEPT_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = await request.text();
  const meta = readMeta(request.headers.get(META_HEADER));
  const send = () => fetch(request.url, { method: request.method, headers, body: body || undefined, credentials: "same-origin", cache: "no-store" });
  // Without an idempotency key a repeat could apply the write twice: never queued.
  if (!headers["idempotency-key"]) return send();
  await ready;
  // Older writes go first, so that the server applies them in the order they were made.
  if (await hasReplayable()) {
    await replay();
    if (await hasReplayable()) return enqueue(request, headers, body, meta);
  }
  let response;
  try {
    response = await timeout(send(), WRITE_TIMEOUT_MS);
  } catch (error) {
    noteBackend(false);
    return enqueue(request, headers, body, meta);
  }
  if (unreachable(response.status)) {
    noteBackend(false);
    return enqueue(request, headers, body, meta);
  }
  noteBackend(true);
  return response;
}

function readMeta(header) {
  if (!header) return null;
  try {
    return decodeURIComponent(header);
  } catch (error) {
    return null;
  }
}

// Entries this session may send: its own, and those queued before anyone was known.
function replayable(entries = []) {
  return entries.filter((entry) => !entry.user || (session && entry.user === session.userId));
}

async function hasReplayable() {
  return replayable(await all("outbox")).length > 0;
}

async function enqueue(request, headers, body, meta) {
  const url = new URL(request.url);
  const entry = {
    method: request.method,
    url: url.pathname + url.search,
    headers,
    body: body || null,
    meta,
    created: Date.now(),
    user: (session && session.userId) || null,
    userName: (session && session.name) || null,
  };
  entry.id = await transaction("outbox", "readwrite", (s) => s.outbox.add(entry));
  await countEntries();
  broadcast({ type: "queued", entry });
  broadcastState();
  requestSync();
  return new Response(JSON.stringify({ queued: true, id: entry.id }), {
    status: 202,
    headers: { "Content-Type": "application/json", "X-Tessera-Queued": "1" },
  });
}

function requestSync() {
  if (self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(() => {});
  scheduleRetry();
}

// While the worker lives; the pages ask again every 30 s too (a stopped worker has no timers).
function scheduleRetry() {
  if (retryTimer !== null) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (state.pending > 0) replay();
  }, RETRY_MS);
}

// ---------------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------------

let replaying = null;

function replaySoon() {
  ready.then(() => replay());
}

// Sends the outbox, oldest first, one at a time. Resolves `true` when everything this session
// may send was sent (accepted or refused), `false` when it stopped to wait.
function replay() {
  if (!replaying) replaying = replayAll().finally(() => (replaying = null));
  return replaying;
}

async function replayAll() {
  const pending = replayable(await all("outbox"));
  if (pending.length === 0) {
    const waiting = state.pending > 0 && !session;
    setState({ signInNeeded: waiting });
    return true;
  }
  if (!session && pending.some((entry) => entry.user)) {
    setState({ signInNeeded: true });
    broadcast({ type: "sign-in-needed" });
    return false;
  }
  setState({ syncing: true });
  let done = true;
  try {
    for (const entry of pending) {
      const outcome = await send(entry);
      if (outcome !== "next") {
        done = false;
        break;
      }
    }
  } finally {
    await countEntries();
    setState({ syncing: false });
    broadcastState();
  }
  if (!done && state.pending > 0 && !state.signInNeeded) scheduleRetry();
  return done;
}

// Sends one queued write: "next" when it is settled (sent, or refused into the inbox), "stop"
// when the rest must wait.
async function send(entry) {
  let response;
  try {
    response = await timeout(
      fetch(entry.url, { method: entry.method, headers: entry.headers, body: entry.body ?? undefined, credentials: "same-origin", cache: "no-store" }),
      WRITE_TIMEOUT_MS,
    );
  } catch (error) {
    noteBackend(false);
    return "stop";
  }
  if (response.status >= 500) {
    noteBackend(!unreachable(response.status));
    return "stop";
  }
  noteBackend(true);
  if (response.status === 401) {
    setState({ signInNeeded: true });
    broadcast({ type: "sign-in-needed" });
    return "stop";
  }
  if (response.ok) {
    await transaction("outbox", "readwrite", (s) => s.outbox.delete(entry.id));
    const now = Date.now();
    await setMeta("lastSync", now);
    state.lastSync = now;
    state.signInNeeded = false;
    await countEntries();
    broadcast({ type: "synced", entry, status: response.status });
    broadcastState();
    return "next";
  }
  // Refused (a conflict, a failed precondition, invalid input…): the user decides what now.
  const answer = await response.json().catch(() => ({}));
  const rejected = {
    ...entry,
    status: response.status,
    error: answer.error || `The service refused this change (HTTP ${response.status}).`,
    reason: answer.reason ?? null,
    field: answer.field ?? null,
    rejectedAt: Date.now(),
  };
  delete rejected.id;
  await transaction(["outbox", "inbox"], "readwrite", (s) => {
    s.outbox.delete(entry.id);
    s.inbox.add(rejected);
  });
  await countEntries();
  broadcast({ type: "rejected", entry: rejected });
  broadcastState();
  return "next";
}

// ---------------------------------------------------------------------------------------------
// Preload
// ---------------------------------------------------------------------------------------------

async function preload(force) {
  await ready;
  const user = session ? session.userId : null;
  const now = Date.now();
  if (!force && lastPreload.user === user && now - lastPreload.at < PRELOAD_EVERY_MS) return;
  lastPreload = { user, at: now };
  const roles = (session && session.roles) || [];
  for (const item of PRELOAD) {
    if (item.role && !roles.includes(item.role)) continue;
    try {
      const response = await fetch(item.url, { credentials: "same-origin", cache: "no-cache" });
      if (!response.ok) continue;
      await keep(item.url, response.clone());
      if (!item.each) continue;
      const list = (await response.json())[item.each.list] || [];
      for (const entry of list) {
        const url = item.each.url(entry);
        const one = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
        if (one.ok) await keep(url, one);
      }
    } catch (error) {
      // Offline: there is nothing to preload now.
      return;
    }
  }
}

ready = restore();
// A started worker sends what waits (the browser starts it for any page or sync event).
replaySoon();
