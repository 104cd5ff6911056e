#!/usr/bin/env node
// Opens every page of a built portal in headless Chromium and proves that
// nothing a policy, title, file name or evidence file smuggled in can run.
//
//   node tests/e2e/xss.mjs <site-period-dir> [--search WORD]...
//        [--expect PAGE=TEXT]... [--pages-containing TEXT]...
//
// Two passes, over every page or, with --pages-containing, over the pages
// whose HTML holds one of the TEXTs (say the payloads' `alert` and `pwned`:
// a payload that could run carries its code into the page):
// - with the portal's CSP, which must see no violation at all: the
//   sanitizer, not the CSP, stops the payloads;
// - with the CSP bypassed, where the sanitizer alone must hold.
// In both: no dialog, no console error or warning, no uncaught exception, no
// request that is not a file: URL, no `window.pwned` or `[data-pwned]` (the
// payloads' markers), no event-handler attribute, no script but the portal's
// own (assets/app.js, the search index's parts assets/search-*.js and the
// site's periods.js), no
// frame, object, form or base, every source a file: URL and every link a
// file:, http(s): or mailto: URL. Each --search WORD is typed into the
// search box (its hits, whose titles may hold payloads, are rendered). Each
// --expect PAGE=TEXT requires PAGE to show TEXT literally (escaped payloads
// are shown, not dropped).

import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { check, launch, main } from "./lib.mjs";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    search: { type: "string", multiple: true, default: [] },
    expect: { type: "string", multiple: true, default: [] },
    "pages-containing": { type: "string", multiple: true, default: [] },
  },
});
if (positionals.length !== 1) {
  console.error(
    "usage: xss.mjs <site-period-dir> [--search WORD]... [--expect PAGE=TEXT]... [--pages-containing TEXT]...",
  );
  process.exit(2);
}
const site = resolve(positionals[0]);
const TABS = 2;

function htmlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return htmlFiles(path);
      return entry.name.endsWith(".html") ? [path] : [];
    })
    .sort();
}

// Runs in every page before its own scripts: records CSP violations.
function recordViolations() {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
  });
}

// The site's list of periods, one folder above the period: the portal's own.
const periodsScript = pathToFileURL(resolve(site, "..", "periods.js")).href;

// Runs in the page: everything that shows script could have run.
function inspect(periodsScript) {
  const problems = [];
  if (typeof window.pwned !== "undefined") problems.push(`window.pwned = ${String(window.pwned)}`);
  if (document.querySelector("[data-pwned]")) problems.push("an element carries data-pwned");
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      if (attribute.name.toLowerCase().startsWith("on")) {
        problems.push(`<${element.localName} ${attribute.name}="${attribute.value}">`);
      }
    }
  }
  const own = /\/assets\/(app|search-index|search-policies-\d\d|search-evidence)\.js$/;
  for (const script of document.querySelectorAll("script")) {
    if (!own.test(script.src) && script.src !== periodsScript) problems.push(`a script that is not the portal's: ${script.outerHTML.slice(0, 120)}`);
  }
  for (const element of document.querySelectorAll("iframe, frame, object, embed, base, form, meta[http-equiv=refresh]")) {
    problems.push(`a <${element.localName}> element`);
  }
  for (const element of document.querySelectorAll("[href], [src], [action], [formaction], [xlink\\:href]")) {
    for (const name of ["href", "src", "action", "formaction", "xlink:href"]) {
      const value = element.getAttribute(name);
      if (value === null) continue;
      const url = new URL(value, document.baseURI);
      // A policy may link to a web page (that loads nothing); nothing else
      // may leave file:, and nothing may be javascript: or data:.
      const link = name === "href" && (element.localName === "a" || element.localName === "area");
      const allowed = link ? ["file:", "http:", "https:", "mailto:"] : ["file:"];
      if (!allowed.includes(url.protocol)) {
        problems.push(`<${element.localName} ${name}="${value}"> leads to ${url.protocol}`);
      }
    }
  }
  for (const violation of window.__cspViolations || []) {
    problems.push(`the CSP had to step in: ${violation}`);
  }
  return problems;
}

async function pass(label, options, pages) {
  // The payloads' `<img src=x>` survives sanitizing as a harmless broken
  // image: a missing file: resource is noted, not failed.
  const browser = await launch(options, {
    tolerate: [
      /^request failed: file:.*net::ERR_FILE_NOT_FOUND/,
      /^console error: Failed to load resource: net::ERR_FILE_NOT_FOUND \(file:/,
    ],
  });
  const { context, watch } = browser;
  try {
    await context.addInitScript(recordViolations);
    const found = [];
    // Two tabs at once; `load` waits for every image, so error and load
    // handlers would have fired by then.
    const queue = [...pages];
    await Promise.all(
      Array.from({ length: TABS }, async () => {
        const tab = await context.newPage();
        for (let file = queue.shift(); file; file = queue.shift()) {
          const name = relative(site, file).split(sep).join("/");
          await tab.goto(pathToFileURL(file).href, { waitUntil: "load" });
          for (const problem of await tab.evaluate(inspect, periodsScript)) found.push(`${name}: ${problem}`);
        }
        await tab.close();
      }),
    );
    const page = await context.newPage();

    // The search box renders hit titles, which may hold payloads.
    await page.goto(pathToFileURL(join(site, "index.html")).href, { waitUntil: "load" });
    for (const word of flags.search) {
      const input = page.locator("#search-input");
      await input.fill("");
      await input.pressSequentially(word, { delay: 5 });
      const hits = page.locator("#search-results a");
      try {
        await hits.first().waitFor({ state: "visible", timeout: 5_000 });
      } catch {
        check(false, `${label}: searching "${word}" found nothing (is assets/app.js running?)`);
      }
      await page.waitForTimeout(50);
      for (const problem of await page.evaluate(inspect, periodsScript)) found.push(`search "${word}": ${problem}`);
    }

    for (const expectation of flags.expect) {
      const at = expectation.indexOf("=");
      const [name, text] = [expectation.slice(0, at), expectation.slice(at + 1)];
      await page.goto(pathToFileURL(join(site, name)).href, { waitUntil: "load" });
      const shown = await page.locator("body").innerText();
      check(shown.includes(text), `${label}: ${name} does not show ${JSON.stringify(text)} as text`);
    }

    watch.assertClean(label, found);
    console.log(
      `${label}: ${pages.length} pages, ${watch.requests.length} requests (all file:), no dialog, nothing ran` +
        (watch.tolerated.length ? `; noted ${watch.tolerated.length} missing file: resources (broken images)` : ""),
    );
  } finally {
    await browser.close();
  }
}

await main("xss e2e", async () => {
  const all = htmlFiles(site);
  check(all.length > 0, `no HTML page under ${site}: build the portal first`);
  const needles = flags["pages-containing"].map((text) => text.toLowerCase());
  const pages = needles.length
    ? all.filter((file) => {
        const html = readFileSync(file, "utf8").toLowerCase();
        return needles.some((needle) => html.includes(needle));
      })
    : all;
  check(pages.length > 0, `no page holds any of ${JSON.stringify(needles)}: were the payloads planted?`);
  await pass("with the portal's CSP", {}, pages);
  await pass("with the CSP bypassed (the sanitizer alone)", { bypassCSP: true }, pages);
});
