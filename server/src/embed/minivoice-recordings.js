// <minivoice-recordings call-id="…" api-base="…" token="…" lang="de">: the MiniVoice recordings
// widget for any page. It renders in a shadow root with its own styles (the page's CSS cannot
// reach in, its CSS cannot leak out), speaks its own `lang` (else the browser's language),
// re-renders when call-id, api-base, token or lang change, releases everything when
// removed, and dispatches bubbling, composed events to the page:
// minivoice-recording-started, -stopped, -paused, -resumed, and minivoice-error.
// The page may also act: start(), stop(), pause({reason}), resume(), each a Promise of the
// recording ({callId, recordingId, status}) that rejects with an Error carrying `code`.
// Types: minivoice-recordings.d.ts beside this script.
const origin = new URL(import.meta.url);
const bundle = await import(new URL("__JS__", origin).href);
await bundle.default({ module_or_path: new URL("__WASM__", origin).href });
const css = await fetch(new URL("__CSS__", origin).href).then((r) => r.text());

class MiniVoiceRecordings extends HTMLElement {
  static observedAttributes = ["call-id", "api-base", "token", "lang"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this.handle = null;
  }

  connectedCallback() {
    this.render();
  }

  disconnectedCallback() {
    this.release();
  }

  attributeChangedCallback(_name, before, after) {
    // Attributes present at upgrade arrive before connectedCallback: render once, there.
    if (this.handle && before !== after) this.render();
  }

  release() {
    if (this.handle) {
      this.handle.unmount();
      this.handle.free();
      this.handle = null;
    }
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
  // event, whoever asked. Not connected (or no call-id): nothing to act on.
  #act(action, reason) {
    if (!this.handle) {
      const e = new Error("the element is not connected to a page");
      e.code = "widget_unavailable";
      return Promise.reject(e);
    }
    return this.handle.act(action, reason);
  }

  render() {
    this.release();
    const root = this.shadowRoot;
    root.replaceChildren();
    const style = document.createElement("style");
    style.textContent = css;
    const mount = document.createElement("div");
    root.append(style, mount);
    const apiBase = this.getAttribute("api-base") || new URL("/api", origin).href;
    this.handle = bundle.mount_widget(
      mount,
      this,
      this.getAttribute("call-id") || "",
      apiBase,
      this.getAttribute("token") || undefined,
      this.getAttribute("lang") || "",
      // The language catalogs are beside this script.
      new URL("/", origin).href,
    );
  }
}

if (!customElements.get("minivoice-recordings")) {
  customElements.define("minivoice-recordings", MiniVoiceRecordings);
}
