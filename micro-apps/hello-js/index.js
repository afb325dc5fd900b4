// A micro-app written by hand in plain JavaScript: no build step, no framework.
// It implements the same contract as the Leptos apps (see the README): an ES module
// exporting mount(element, props) and unmount(element), optionally bootstrap and update.

const instances = new WeakMap();

function render(element, props) {
  const who = props.params && props.params.who ? props.params.who : "there";
  element.replaceChildren();
  const page = document.createElement("div");
  page.className = "page hello-js";
  const header = document.createElement("div");
  header.className = "page-header";
  const title = document.createElement("h1");
  title.textContent = `Hello, ${who}!`;
  const lede = document.createElement("p");
  lede.className = "lede";
  lede.textContent = "This micro-app is a hand-written JavaScript module, deployed into the running system.";
  header.append(title, lede);
  const card = document.createElement("div");
  card.className = "card kv";
  for (const [key, value] of [["App", props.name], ["Instance", props.instanceId], ["Path", props.path]]) {
    const term = document.createElement("dt");
    term.textContent = key;
    const detail = document.createElement("dd");
    detail.textContent = value;
    card.append(term, detail);
  }
  const link = document.createElement("a");
  link.className = "btn btn-secondary";
  link.href = who === "there" ? "/hello/friend" : "/hello";
  link.textContent = who === "there" ? "Greet a friend" : "Back to hello";
  page.append(header, card, link);
  element.append(page);
}

export function bootstrap(props) {
  console.debug(`[${props.name}] bootstrap`);
}

export function mount(element, props) {
  instances.set(element, props.instanceId);
  render(element, props);
  window.dispatchEvent(new CustomEvent("mfe:app-ready", { detail: { app: props.name } }));
}

export function update(props) {
  for (const element of document.querySelectorAll(".hello-js")) {
    const container = element.parentElement;
    if (instances.get(container) === props.instanceId) render(container, props);
  }
}

export function unmount(element) {
  instances.delete(element);
  element.replaceChildren();
}
