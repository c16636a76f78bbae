// Types for <minivoice-recordings>, the MiniVoice recordings widget for any page. The proxy
// serves this file at /minivoice-recordings.d.ts, beside the element's script, and React's JSX
// entry for the element at /minivoice-recordings.react.d.ts (save both side by side):
//
//   <script type="module" src="https://recordings.example.com/minivoice-recordings.js"></script>
//   <minivoice-recordings call-id="call_123" api-base="https://recordings.example.com/api"
//     token="…"></minivoice-recordings>
//
// The script defines the element once its WebAssembly has loaded
// (`customElements.whenDefined("minivoice-recordings")`). From then on a connected element
// with a call ID may be called at once: a method called while the widget loads or re-renders
// waits for it (up to 10 s), then acts.

/** The languages the widget speaks; another tag (`de-AT`) is matched by its language, else the browser's languages decide. */
export type MiniVoiceLanguage = "en" | "de" | "fr" | (string & {});

/**
 * The element's attributes, as HTML and JSX set them. Changing any of them re-renders the
 * widget; a method called meanwhile waits for the new one.
 */
export interface MiniVoiceRecordingsAttributes {
  /**
   * The call whose recordings are shown and acted on. Without it the widget says no call is
   * selected and the methods reject with `widget_unavailable`.
   */
  "call-id"?: string;
  /** The proxy's API, e.g. `https://recordings.example.com/api`; default: `/api` on the script's origin. */
  "api-base"?: string;
  /** The agent's token, minted by your backend; leave it out only in the proxy's anonymous (loopback) mode. */
  token?: string;
  /** The widget's language (`en`, `de`, `fr`); default: the browser's languages, then English. Not inherited from the page. */
  lang?: MiniVoiceLanguage;
}

/** What the page hears of a recording, in events and in the methods' answers. */
export interface MiniVoiceRecordingDetail {
  callId: string;
  recordingId: string;
  /** MiniVoice's status: `started`, `stopped`, `processing`, `completed`, `failed`, or a newer one. */
  status: string;
}

/** Detail of `minivoice-error`: an action (the widget's buttons or a method) was refused. */
export interface MiniVoiceErrorDetail {
  callId: string;
  action: MiniVoiceAction;
  /** The proxy's or MiniVoice's error code, e.g. `call_not_paused`, `recording_not_started`. */
  code: string;
  message: string;
}

/** Detail of `minivoice-ready`: the widget for this call can act. */
export interface MiniVoiceReadyDetail {
  callId: string;
}

export type MiniVoiceAction = "start" | "stop" | "pause" | "resume";

/** How the methods' promises reject; every rejection is also dispatched as `minivoice-error`. */
export interface MiniVoiceError extends Error {
  /**
   * The proxy's or MiniVoice's error code (`call_already_paused`, `call_not_paused`,
   * `recording_not_started`, `forbidden_call`, …); `network_error` when the proxy cannot be
   * reached; `widget_unavailable` when the element is not connected, names no call, or its
   * widget was not ready within 10 s.
   */
  code: string;
}

export interface MiniVoicePauseOptions {
  /** Why recording pauses (up to 200 printable characters), shown to every agent on the call. */
  reason?: string;
}

/** Bubbling, composed events the element dispatches; listen on it or anywhere above it. */
export interface MiniVoiceRecordingsEventMap {
  /**
   * The widget for the current attributes can act: after the element is connected and after
   * each re-render (at once in English; for German and French once their words have arrived).
   */
  "minivoice-ready": CustomEvent<MiniVoiceReadyDetail>;
  "minivoice-recording-started": CustomEvent<MiniVoiceRecordingDetail>;
  "minivoice-recording-stopped": CustomEvent<MiniVoiceRecordingDetail>;
  /** Recording paused: `detail` is the segment the pause stopped. */
  "minivoice-recording-paused": CustomEvent<MiniVoiceRecordingDetail>;
  /** Recording resumed: `detail` is the new segment. */
  "minivoice-recording-resumed": CustomEvent<MiniVoiceRecordingDetail>;
  /** An action was refused: the widget's buttons', or a method's (each rejection is dispatched). */
  "minivoice-error": CustomEvent<MiniVoiceErrorDetail>;
}

/**
 * `<minivoice-recordings call-id="…" api-base="…" token="…" lang="…">`: attributes in
 * {@link MiniVoiceRecordingsAttributes}.
 *
 * The methods act as the widget's own buttons do: the outcome is shown, announced and
 * dispatched as an event. The proxy decides whether the action is valid now. Each promise
 * resolves with the recording or rejects with a {@link MiniVoiceError} (also dispatched as
 * `minivoice-error`). Called while the widget loads or re-renders, a method waits for it (up
 * to 10 s); `ready` and `minivoice-ready` tell a page when that wait is over.
 */
export interface MiniVoiceRecordingsElement extends HTMLElement {
  /**
   * Resolves once the widget for the current attributes can act: at once when it can, else
   * after its words have arrived or its re-render is done. Pending while the element is not
   * connected or names no call. The methods wait by themselves; this is for pages that want
   * to know (e.g. to enable their own buttons).
   */
  readonly ready: Promise<void>;
  /** Starts recording; resolves with the new recording. */
  start(): Promise<MiniVoiceRecordingDetail>;
  /** Stops recording (while paused: ends the pause, so nothing more is recorded). */
  stop(): Promise<MiniVoiceRecordingDetail>;
  /** Pauses: stops the current segment until `resume()` (or the proxy's automatic resume). */
  pause(options?: MiniVoicePauseOptions): Promise<MiniVoiceRecordingDetail>;
  /** Resumes a paused call: a new segment; rejects with `call_not_paused` when not paused. */
  resume(): Promise<MiniVoiceRecordingDetail>;

  addEventListener<K extends keyof MiniVoiceRecordingsEventMap>(
    type: K,
    listener: (this: MiniVoiceRecordingsElement, ev: MiniVoiceRecordingsEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: MiniVoiceRecordingsElement, ev: HTMLElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof MiniVoiceRecordingsEventMap>(
    type: K,
    listener: (this: MiniVoiceRecordingsElement, ev: MiniVoiceRecordingsEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: MiniVoiceRecordingsElement, ev: HTMLElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * The attributes of `<minivoice-supervisor>`, the supervisor's view (every call recording or
 * paused, Resume, the pause report), defined by the same script. Changing any re-renders it.
 */
export interface MiniVoiceSupervisorAttributes {
  /** The proxy's API, e.g. `https://recordings.example.com/api`; default: `/api` on the script's origin. */
  "api-base"?: string;
  /** A supervisor's token (`calls: ["*"]`), minted by your backend; an agent's is refused. */
  token?: string;
  /** The view's language (`en`, `de`, `fr`); default: the browser's languages, then English. */
  lang?: MiniVoiceLanguage;
}

/**
 * `<minivoice-supervisor api-base="…" token="…" lang="…">`: attributes in
 * {@link MiniVoiceSupervisorAttributes}. It has no methods or events of its own: a supervisor's
 * Resume goes through the proxy in the supervisor's name, and each agent's widget hears it.
 */
export interface MiniVoiceSupervisorElement extends HTMLElement {}

declare global {
  interface HTMLElementTagNameMap {
    "minivoice-recordings": MiniVoiceRecordingsElement;
    "minivoice-supervisor": MiniVoiceSupervisorElement;
  }

  // The events bubble and are composed, so `document.addEventListener(…)` and any ancestor's
  // hear them with their types too.
  interface HTMLElementEventMap extends MiniVoiceRecordingsEventMap {}
  interface DocumentEventMap extends MiniVoiceRecordingsEventMap {}
  interface WindowEventMap extends MiniVoiceRecordingsEventMap {}
}
