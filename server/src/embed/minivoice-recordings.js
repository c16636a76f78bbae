// <minivoice-recordings call-id="…" api-base="…" token="…" lang="de">: the MiniVoice recordings
// widget for any page. It renders in a shadow root with its own styles (the page's CSS cannot
// reach in, its CSS cannot leak out), speaks its own `lang` (else the browser's language),
// re-renders when call-id, api-base, token or lang change, releases everything when
// removed, and dispatches bubbling, composed events to the page:
// minivoice-ready, minivoice-recording-started, -stopped, -paused, -resumed, and minivoice-error.
// The page may also act: start(), stop(), pause({reason}), resume(), each a Promise of the
// recording ({callId, recordingId, status}) that rejects with an Error carrying `code`; every
// rejection is also dispatched as minivoice-error. A method called while the widget loads (a
// German or French catalog on its way) or re-renders waits for it, up to READY_WITHIN_MS.
// The same script defines <minivoice-supervisor api-base="…" token="…" lang="de">: the
// supervisor's view (every call recording or paused, Resume, the pause report), with the same
// attributes but call-id, re-rendered when they change and released when removed. Its code is
// a bundle of its own, fetched when the first one connects.
// Types: minivoice-recordings.d.ts beside this script.
const origin = new URL(import.meta.url);
const bundle = await import(new URL("__JS__", origin).href);
await bundle.default({ module_or_path: new URL("__WASM__", origin).href });
const css = await fetch(new URL("__CSS__", origin).href).then((r) => r.text());

/** How long a method waits for the widget (its words fetched, a re-render) before refusing. */
const READY_WITHIN_MS = 10_000;

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

class MiniVoiceRecordings extends HTMLElement {
  static observedAttributes = ["call-id", "api-base", "token", "lang"];

  /** The mounted widget (a `WidgetHandle`), from connection to removal. */
  #handle = null;
  /** Watches the mount point until the widget is in it (see `#whenMounted`). */
  #watch = null;
  /** The current widget is mounted for a call: its methods act at once. */
  #isReady = false;
  /** `ready`'s promise while the widget is not ready. */
  #readyWaiting = null;
  /** Resolved (and replaced) at every change of state, for methods waiting on one. */
  #changes = deferred();

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
  }

  /** Resolves once the widget for the current attributes can act (now, if it can already). */
  get ready() {
    if (this.#isReady) return Promise.resolve();
    this.#readyWaiting ??= deferred();
    return this.#readyWaiting.promise;
  }

  connectedCallback() {
    this.render();
  }

  disconnectedCallback() {
    this.release();
  }

  attributeChangedCallback(_name, before, after) {
    // Attributes present at upgrade arrive before connectedCallback: render once, there.
    if (this.#handle && before !== after) this.render();
  }

  release() {
    this.#watch?.disconnect();
    this.#watch = null;
    this.#isReady = false;
    if (this.#handle) {
      this.#handle.unmount();
      this.#handle.free();
      this.#handle = null;
    }
    this.#changed();
  }

  start() {
    return this.#act("start");
  }

  stop() {
    return this.#act("stop");
  }

  pause(options) {
    return this.#act("pause", options?.reason);
  }

  resume() {
    return this.#act("resume");
  }

  // The widget's own action, as its buttons take it: shown, announced and dispatched as an
  // event, whoever asked. While the widget loads or re-renders, the call waits for it; what
  // cannot wait (not connected, no call-id, not ready in time) is refused here, and told to
  // the page as the widget tells its own refusals.
  async #act(action, reason) {
    const until = Date.now() + READY_WITHIN_MS;
    for (;;) {
      const callId = this.getAttribute("call-id") || "";
      const refused = !this.isConnected
        ? "the element is not connected to a page"
        : !callId
          ? "the element names no call: set its call-id"
          : Date.now() >= until
            ? `the widget was not ready within ${READY_WITHIN_MS / 1000} s`
            : null;
      if (refused) throw this.#refuse(callId, action, refused);
      // Checked and called in one step: nothing can re-render in between.
      if (this.#isReady) return this.#handle.act(action, reason);
      await this.#nextChange(until - Date.now());
    }
  }

  #refuse(callId, action, message) {
    const e = new Error(message);
    e.code = "widget_unavailable";
    this.dispatchEvent(
      new CustomEvent("minivoice-error", {
        bubbles: true,
        composed: true,
        detail: { callId, action, code: e.code, message },
      }),
    );
    return e;
  }

  #nextChange(ms) {
    let timer;
    const late = new Promise((r) => (timer = setTimeout(r, ms)));
    return Promise.race([this.#changes.promise, late]).finally(() => clearTimeout(timer));
  }

  #changed() {
    const { resolve } = this.#changes;
    this.#changes = deferred();
    resolve();
  }

  render() {
    this.release();
    const mount = freshMount(this.shadowRoot);
    const callId = this.getAttribute("call-id") || "";
    const apiBase = this.getAttribute("api-base") || new URL("/api", origin).href;
    this.#handle = bundle.mount_widget(
      mount,
      this,
      callId,
      apiBase,
      this.getAttribute("token") || undefined,
      this.getAttribute("lang") || "",
      // The language catalogs are beside this script.
      new URL("/", origin).href,
    );
    if (callId) this.#whenMounted(mount, callId);
  }

  // The widget offers its action to the methods as it is built, before it is put into
  // `mount`: once `mount` has content, the methods act. That is at once in English (or in a
  // language already fetched), else when its catalog has arrived.
  #whenMounted(mount, callId) {
    if (mount.firstChild) return this.#becameReady(callId);
    this.#watch = new MutationObserver(() => {
      if (!mount.firstChild) return;
      this.#watch.disconnect();
      this.#watch = null;
      this.#becameReady(callId);
    });
    this.#watch.observe(mount, { childList: true });
  }

  #becameReady(callId) {
    this.#isReady = true;
    this.#readyWaiting?.resolve();
    this.#readyWaiting = null;
    this.#changed();
    this.dispatchEvent(
      new CustomEvent("minivoice-ready", { bubbles: true, composed: true, detail: { callId } }),
    );
  }
}

if (!customElements.get("minivoice-recordings")) {
  customElements.define("minivoice-recordings", MiniVoiceRecordings);
}

/** Empties an element's shadow `root` and gives it the widget's styles and a new mount point. */
function freshMount(root) {
  const style = document.createElement("style");
  style.textContent = css;
  const mount = document.createElement("div");
  root.replaceChildren(style, mount);
  return mount;
}

/** The supervisor's bundle, fetched and started once, when the first element connects. */
let supervisorBundle = null;

function loadSupervisor() {
  supervisorBundle ??= (async () => {
    const loaded = await import(new URL("__SUPERVISOR_JS__", origin).href);
    await loaded.default({ module_or_path: new URL("__SUPERVISOR_WASM__", origin).href });
    return loaded;
  })();
  return supervisorBundle;
}

class MiniVoiceSupervisor extends HTMLElement {
  static observedAttributes = ["api-base", "token", "lang"];

  /** The mounted view (a `SupervisorHandle`), from connection to removal. */
  #handle = null;
  /** Counts renders and releases: a render whose bundle arrives after a newer one is dropped. */
  #generation = 0;

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
  }

  connectedCallback() {
    this.render();
  }

  disconnectedCallback() {
    this.release();
  }

  attributeChangedCallback(_name, before, after) {
    if (this.isConnected && before !== after) this.render();
  }

  release() {
    this.#generation += 1;
    if (this.#handle) {
      this.#handle.unmount();
      this.#handle.free();
      this.#handle = null;
    }
  }

  async render() {
    this.release();
    const generation = this.#generation;
    const loaded = await loadSupervisor();
    if (generation !== this.#generation || !this.isConnected) return;
    const mount = freshMount(this.shadowRoot);
    this.#handle = loaded.mount_supervisor(
      mount,
      this.getAttribute("api-base") || new URL("/api", origin).href,
      this.getAttribute("token") || undefined,
      this.getAttribute("lang") || "",
      // The language catalogs, and the page a call's story is on, are beside this script.
      new URL("/", origin).href,
    );
  }
}

if (!customElements.get("minivoice-supervisor")) {
  customElements.define("minivoice-supervisor", MiniVoiceSupervisor);
}
