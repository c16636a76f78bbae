// The CRM's own pages, as small as a CRM's dev server gets: /calls/<call ID>[?lang=de] is the
// page of one call, with the recordings widget from the proxy at MINIVOICE_URL.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const proxy = process.env.MINIVOICE_URL ?? "http://127.0.0.1:8480";
const port = Number(process.env.CRM_PORT ?? 8490);
const page = readFileSync(new URL("./call.html", import.meta.url), "utf8");

createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://crm");
  const call = /^\/calls\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname)?.[1];
  if (!call) {
    res.writeHead(404, { "content-type": "text/plain" }).end("no such page");
    return;
  }
  const lang = ["en", "de", "fr"].find((l) => l === url.searchParams.get("lang")) ?? "en";
  const html = page
    .replaceAll("__PROXY__", proxy)
    .replaceAll("__CALL__", call)
    .replaceAll("__LANG__", lang);
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
}).listen(port, "127.0.0.1");
