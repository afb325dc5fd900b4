// The shell's small JavaScript side: module loading and fetch helpers that are shorter and
// clearer here than through web-sys. Everything else is Rust.

const modules = new Map();
const bootstraps = new Map();

// Imports an app's entry module once per URL. A failed import is forgotten so that a retry
// fetches again.
export function load_module(url) {
  let pending = modules.get(url);
  if (!pending) {
    pending = import(url);
    pending.catch(() => modules.delete(url));
    modules.set(url, pending);
  }
  return pending;
}

// Runs the module's optional bootstrap(props) once per loaded URL.
export function bootstrap_module(url, module, props) {
  let pending = bootstraps.get(url);
  if (!pending) {
    pending = Promise.resolve(typeof module.bootstrap === "function" ? module.bootstrap(props) : undefined);
    pending.catch(() => bootstraps.delete(url));
    bootstraps.set(url, pending);
  }
  return pending;
}

export function forget_module(url) {
  modules.delete(url);
  bootstraps.delete(url);
}

// Calls a lifecycle export; mount and unmount are required by the contract.
export async function call_export(module, name, args) {
  const fn = module[name];
  if (typeof fn !== "function") {
    if (name === "mount" || name === "unmount") throw new Error(`the entry module does not export ${name}()`);
    return undefined;
  }
  return await fn(...args);
}

export async function fetch_json(url, etag) {
  const headers = etag ? { "If-None-Match": etag } : {};
  const response = await fetch(url, { headers, cache: "no-cache" });
  if (response.status === 304) return { status: 304 };
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return { status: response.status, etag: response.headers.get("ETag"), body: await response.json() };
}

// Adds the app's stylesheets once and waits until they are applied (or failed).
export function ensure_styles(urls) {
  return Promise.all(
    urls.map((href) => {
      if (document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return null;
      return new Promise((resolve) => {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        link.onload = link.onerror = () => resolve(null);
        document.head.appendChild(link);
      });
    }),
  );
}

export function describe_error(error) {
  if (error && typeof error.message === "string") return error.message;
  return String(error);
}

// The handle mountParcel resolves to.
export function parcel_handle(module, element) {
  return {
    unmount: () => call_export(module, "unmount", [element]),
    update: (props) => call_export(module, "update", [props]),
  };
}
