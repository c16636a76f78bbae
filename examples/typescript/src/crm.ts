// A CRM's own code around <minivoice-recordings>, without any framework: the element from the
// page, its methods, its readiness and every event's `detail`, all typed by
// src/types/minivoice-recordings.d.ts (saved from the proxy). Not a line of `any`.
import type {
  MiniVoiceError,
  MiniVoiceRecordingDetail,
  MiniVoiceRecordingsAttributes,
} from "./types/minivoice-recordings";

interface CrmNotes {
  saveRecording(callId: string, recordingId: string): void;
  warn(message: string): void;
}

export async function wireRecorder(notes: CrmNotes): Promise<void> {
  await customElements.whenDefined("minivoice-recordings");
  const recorder = document.querySelector("minivoice-recordings");
  if (!recorder) return;

  recorder.addEventListener("minivoice-ready", (e) => {
    const callId: string = e.detail.callId;
    document.title = `Call ${callId}`;
  });
  recorder.addEventListener("minivoice-recording-started", (e) => {
    notes.saveRecording(e.detail.callId, e.detail.recordingId);
  });
  // Composed and bubbling: the document hears them too, typed.
  document.addEventListener("minivoice-error", (e) => {
    const { callId, action, code, message } = e.detail;
    notes.warn(`${action} on ${callId} refused: ${code} (${message})`);
  });

  await recorder.ready;
  const started: MiniVoiceRecordingDetail = await recorder.start();
  notes.saveRecording(started.callId, started.recordingId);
}

/** Card details must never be recorded: pause while the payment form is open. */
export async function takePayment(callId: string, charge: () => Promise<void>): Promise<void> {
  const recorder = document.createElement("minivoice-recordings");
  const attributes: MiniVoiceRecordingsAttributes = { "call-id": callId, lang: "fr" };
  for (const [name, value] of Object.entries(attributes)) recorder.setAttribute(name, value);
  document.body.append(recorder);
  // No need to wait for the French words: the call waits for the widget by itself.
  try {
    const paused = await recorder.pause({ reason: "payment" });
    console.info(`paused ${paused.recordingId} (${paused.status})`);
  } catch (e) {
    const code = (e as MiniVoiceError).code;
    if (code !== "recording_not_started") throw e;
  }
  await charge();
  await recorder.resume().catch((e: MiniVoiceError) => console.warn(e.code, e.message));
}
