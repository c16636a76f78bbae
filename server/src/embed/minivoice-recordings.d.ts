// Types for <minivoice-recordings>, the MiniVoice recordings widget for any page. The proxy
// serves this file at /minivoice-recordings.d.ts, beside the element's script:
//
//   <script type="module" src="https://recordings.example.com/minivoice-recordings.js"></script>
//   <minivoice-recordings call-id="call_123" api-base="https://recordings.example.com/api"
//     token="…"></minivoice-recordings>
//
// The script defines the element once its WebAssembly has loaded: wait for
// `customElements.whenDefined("minivoice-recordings")` before calling its methods.

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

export type MiniVoiceAction = "start" | "stop" | "pause" | "resume";

/** How the methods' promises reject. */
export interface MiniVoiceError extends Error {
  /**
   * The proxy's or MiniVoice's error code (`call_already_paused`, `call_not_paused`,
   * `recording_not_started`, `forbidden_call`, …); `network_error` when the proxy cannot be
   * reached; `widget_unavailable` when the element is not connected or names no call.
   */
  code: string;
}

export interface MiniVoicePauseOptions {
  /** Why recording pauses (up to 200 printable characters), shown to every agent on the call. */
  reason?: string;
}

/** Bubbling, composed events the element dispatches; listen on it or anywhere above it. */
export interface MiniVoiceRecordingsEventMap {
  "minivoice-recording-started": CustomEvent<MiniVoiceRecordingDetail>;
  "minivoice-recording-stopped": CustomEvent<MiniVoiceRecordingDetail>;
  /** Recording paused: `detail` is the segment the pause stopped. */
  "minivoice-recording-paused": CustomEvent<MiniVoiceRecordingDetail>;
  /** Recording resumed: `detail` is the new segment. */
  "minivoice-recording-resumed": CustomEvent<MiniVoiceRecordingDetail>;
  "minivoice-error": CustomEvent<MiniVoiceErrorDetail>;
}

/**
 * `<minivoice-recordings call-id="…" api-base="…" token="…">`. Attributes: `call-id` (the
 * call), `api-base` (the proxy's `/api`, default: the script's origin), `token` (the agent's
 * token, minted by your backend), `lang` (`en`, `de` or `fr`; default: the browser's
 * language). Changing one re-renders the widget.
 *
 * The methods act as the widget's own buttons do: the outcome is shown, announced and
 * dispatched as an event. The proxy decides whether the action is valid now. Each promise
 * resolves with the recording or rejects with a {@link MiniVoiceError}.
 */
export interface MiniVoiceRecordingsElement extends HTMLElement {
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

declare global {
  interface HTMLElementTagNameMap {
    "minivoice-recordings": MiniVoiceRecordingsElement;
  }

  // The events bubble and are composed, so `document.addEventListener(…)` and any ancestor's
  // hear them with their types too.
  interface HTMLElementEventMap extends MiniVoiceRecordingsEventMap {}
  interface DocumentEventMap extends MiniVoiceRecordingsEventMap {}
  interface WindowEventMap extends MiniVoiceRecordingsEventMap {}
}
