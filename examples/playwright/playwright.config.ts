// A CRM team's Playwright set-up around the recordings widget: the proxy in sandbox mode
// (no MiniVoice key: it simulates MiniVoice itself) and the CRM's pages, each started here,
// and the machine's own Chromium. `cargo xtask test` runs it with the proxy it has just built;
// by hand: `cargo build -p minivoice-proxy && cargo xtask widget && npx playwright test`.
import { tmpdir } from "node:os";
import { join } from "node:path";

import { defineConfig } from "@playwright/test";

const proxyPort = Number(process.env.MINIVOICE_PORT ?? 8480);
const crmPort = Number(process.env.CRM_PORT ?? 8490);
const proxy = `http://127.0.0.1:${proxyPort}`;
const crm = `http://127.0.0.1:${crmPort}`;
const proxyBinary = process.env.MINIVOICE_PROXY ?? "../../target/debug/minivoice-proxy";
const widget = process.env.WIDGET_DIR ?? "../../dist";
// Its own store, so a run starts with no recordings.
const data = join(tmpdir(), `minivoice-playwright-${proxyPort}`);

export default defineConfig({
  testDir: "tests",
  globalSetup: "./global-setup.ts",
  // One browser at a time: the machines that run this have few cores.
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: crm,
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      command: `rm -rf ${data} && ${proxyBinary} --listen-addr 127.0.0.1:${proxyPort} --allowed-origins ${crm} --widget-dir ${widget} --data-dir ${data}`,
      url: `${proxy}/readyz`,
      // Its warnings and errors only, not a line per request.
      env: { RUST_LOG: "warn" },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: "node crm/server.mjs",
      url: `${crm}/calls/up`,
      env: { MINIVOICE_URL: proxy, CRM_PORT: String(crmPort) },
      reuseExistingServer: false,
    },
  ],
  metadata: { proxy },
});
