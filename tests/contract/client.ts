// A CRM's code against the proxy, through a client generated from its OpenAPI document
// (`openapi-typescript openapi.json -o generated/minivoice.ts`) and `openapi-fetch`. It is
// never run: `tsc --strict` compiling it is the test (tests/tests/e2e/openapi.rs). Every
// call an integration makes is here, and each answer is assigned to the type it must have,
// so a route typed as another's (or as a bare string) fails to compile.

import createClient from "openapi-fetch";
import type { components, paths } from "./generated/minivoice";

type Schemas = components["schemas"];

const client = createClient<paths>({
  baseUrl: "https://proxy.example.com",
  headers: { Authorization: "Bearer <agent token>" },
});

const call = { params: { path: { call_id: "call_42" } } };

/** The error every failure answers with; its code is a known one or any other string. */
function explain(error: Schemas["ErrorEnvelope"]): string {
  const code: string = error.error.code;
  return `${code}: ${error.error.message}`;
}

export async function recordings(): Promise<Schemas["Recording"][]> {
  const { data, error } = await client.GET("/api/calls/{call_id}/recordings", call);
  if (error) throw new Error(explain(error));
  const list: Schemas["RecordingList"] = data;
  return list.data;
}

export async function start(): Promise<Schemas["ActionResult"]> {
  const { data, error } = await client.POST("/api/calls/{call_id}/recordings", {
    ...call,
    params: { ...call.params, header: { "Idempotency-Key": "crm-7f3a" } },
    body: { action: "start" },
  });
  if (error) throw new Error(explain(error));
  const answer: Schemas["ActionResultResponse"] = data;
  return answer.data;
}

export async function pause(reason: string): Promise<Schemas["ActionResult"]> {
  const { data, error } = await client.POST("/api/calls/{call_id}/pause", {
    ...call,
    body: { reason },
  });
  if (error) throw new Error(explain(error));
  return data.data;
}

export async function resume(): Promise<Schemas["Recording"]> {
  const { data, error } = await client.POST("/api/calls/{call_id}/resume", call);
  if (error) throw new Error(explain(error));
  return data.data.recording;
}

export async function status(): Promise<boolean> {
  const { data, error } = await client.GET("/api/calls/{call_id}/status", call);
  if (error) throw new Error(explain(error));
  const state: Schemas["CallState"] = data.data;
  return state.recording === "paused";
}

export async function timeline(): Promise<string[]> {
  const { data, error } = await client.GET("/api/calls/{call_id}/timeline", call);
  if (error) throw new Error(explain(error));
  const entries: Schemas["TimelineEntry"][] = data.data;
  return entries.map((e) => `${e.at} ${e.kind}`);
}

export async function metadata(recordingId: string): Promise<number> {
  const { data, error } = await client.GET(
    "/api/calls/{call_id}/recordings/{recording_id}",
    { params: { path: { call_id: "call_42", recording_id: recordingId } } },
  );
  if (error) throw new Error(explain(error));
  const recording: Schemas["Recording"] = data.data;
  return recording.duration_seconds;
}

export async function refusedDeliveries(): Promise<Schemas["WebhookDelivery"][]> {
  const { data, error } = await client.GET("/api/webhooks/deliveries", {
    params: { query: { limit: 20, verdict: "invalid_signature" } },
  });
  if (error) throw new Error(explain(error));
  const list: Schemas["WebhookDeliveryList"] = data;
  return list.data.filter((d) => d.status >= 400);
}

/** What the event stream carries: each event's data is a `LiveEvent`. */
type Streamed =
  paths["/api/calls/{call_id}/events"]["get"]["responses"][200]["content"]["text/event-stream"];

/** The live stream's events: each `type` is the SSE event's name. */
export function onLiveEvent(message: MessageEvent<string>): string {
  const data: Streamed = JSON.parse(message.data);
  const event: Schemas["LiveEvent"] = data;
  const paused: Schemas["PauseEvent"] | undefined = event.type === "pause" ? event : undefined;
  if (paused?.reason) return paused.reason;
  switch (event.type) {
    case "recording":
      return event.recording.id;
    case "pause":
      return event.paused_by;
    case "resume":
      return event.resumed_by;
    case "call":
      return event.status;
    case "resync":
      return event.call_id;
  }
}
