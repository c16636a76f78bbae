// The element's typings, saved from the proxy as docs/embedding.md says, so the tests' types
// are the ones the running proxy serves.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

import type { FullConfig } from "@playwright/test";

export default async function globalSetup(config: FullConfig): Promise<void> {
  const proxy = String(config.metadata.proxy);
  const types = join(dirname(config.configFile ?? "."), "types");
  await mkdir(types, { recursive: true });
  for (const file of ["minivoice-recordings.d.ts", "minivoice-recordings.react.d.ts"]) {
    const resp = await fetch(`${proxy}/${file}`);
    if (!resp.ok) throw new Error(`${file}: ${resp.status}`);
    await writeFile(join(types, file), await resp.text());
  }
}
