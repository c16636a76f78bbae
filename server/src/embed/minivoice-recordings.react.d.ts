// React's JSX entry for <minivoice-recordings>. The proxy serves this file at
// /minivoice-recordings.react.d.ts; save it beside minivoice-recordings.d.ts (it imports that
// file) among the sources your tsconfig includes, with @types/react 18.3 or newer installed:
//
//   const recorder = useRef<MiniVoiceRecordingsElement>(null);
//   <minivoice-recordings ref={recorder} call-id={callId} api-base={apiBase} token={token} lang="de" />
//
// Attributes are typed (`call-id={42}` does not compile); the element's events are heard with
// `recorder.current.addEventListener("minivoice-recording-started", …)`, typed by the file
// beside this one.

import type { DetailedHTMLProps, HTMLAttributes } from "react";
import type {
  MiniVoiceRecordingsAttributes,
  MiniVoiceRecordingsElement,
  MiniVoiceSupervisorAttributes,
  MiniVoiceSupervisorElement,
} from "./minivoice-recordings";

/** The element's props in JSX: its own attributes, and an HTML element's (`id`, `className`, `ref`, …). */
export type MiniVoiceRecordingsProps = Omit<
  DetailedHTMLProps<HTMLAttributes<MiniVoiceRecordingsElement>, MiniVoiceRecordingsElement>,
  keyof MiniVoiceRecordingsAttributes
> &
  MiniVoiceRecordingsAttributes;

/** `<minivoice-supervisor>`'s props in JSX. */
export type MiniVoiceSupervisorProps = Omit<
  DetailedHTMLProps<HTMLAttributes<MiniVoiceSupervisorElement>, MiniVoiceSupervisorElement>,
  keyof MiniVoiceSupervisorAttributes
> &
  MiniVoiceSupervisorAttributes;

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "minivoice-recordings": MiniVoiceRecordingsProps;
      "minivoice-supervisor": MiniVoiceSupervisorProps;
    }
  }
}
