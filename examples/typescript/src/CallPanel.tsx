// The same CRM in React: <minivoice-recordings> in JSX with its attributes typed by
// src/types/minivoice-recordings.react.d.ts, and the element reached through a ref.
import { useEffect, useRef, useState } from "react";
import type { MiniVoiceRecordingsElement } from "./types/minivoice-recordings";

export interface CallPanelProps {
  callId: string;
  token: string;
  lang: "en" | "de" | "fr";
}

export function CallPanel({ callId, token, lang }: CallPanelProps) {
  const recorder = useRef<MiniVoiceRecordingsElement>(null);
  const [ready, setReady] = useState(false);
  const [lastRecording, setLastRecording] = useState<string | null>(null);

  useEffect(() => {
    const el = recorder.current;
    if (!el) return;
    const onReady = () => setReady(true);
    const onStarted = (e: CustomEvent<{ recordingId: string }>) => setLastRecording(e.detail.recordingId);
    el.addEventListener("minivoice-ready", onReady);
    el.addEventListener("minivoice-recording-started", onStarted);
    return () => {
      el.removeEventListener("minivoice-ready", onReady);
      el.removeEventListener("minivoice-recording-started", onStarted);
    };
  }, []);

  const pauseForPayment = async () => {
    await recorder.current?.pause({ reason: "payment" });
  };

  return (
    <section>
      <minivoice-recordings
        ref={recorder}
        id="recorder"
        className="crm-recorder"
        call-id={callId}
        api-base="https://recordings.example.com/api"
        token={token}
        lang={lang}
      />
      <button type="button" disabled={!ready} onClick={pauseForPayment}>
        Take a card payment
      </button>
      {lastRecording && <p>Recording {lastRecording}</p>}
    </section>
  );
}

/** What the typings refuse: each line below must be a type error, or the build fails. */
export function Refused() {
  return (
    <>
      {/* @ts-expect-error a call ID is a string */}
      <minivoice-recordings call-id={42} />
      {/* @ts-expect-error `callId` is not an attribute (it is `call-id`) */}
      <minivoice-recordings callId="call_123" />
      {/* @ts-expect-error the token is a string */}
      <minivoice-recordings call-id="call_123" token={{ secret: true }} />
    </>
  );
}
