#!/usr/bin/env node
// End-to-end walk through a built portal in headless Chromium, from file://.
//
//   node tests/e2e/portal.mjs <site-period-dir> <screenshot-dir>
//        [--control soc2/CC7.1] [--search WORD] [--expect-policy ID]
//        [--max-height 1400]
//
// Opens the dashboard, follows the framework matrix to a control and the
// control to an evidence page (SHA-256 and download shown), searches WORD
// (a word in exactly one policy's body) and reaches that policy both by
// clicking the hit and by pressing Enter. Fails on any console error or
// warning, uncaught exception, dialog, failed load or request that is not a
// file: URL. Saves dashboard.png and control.png (1280 wide) in
// <screenshot-dir>. Exits 1 with a message on the first failure.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { Failure, check, follow, launch, main } from "./lib.mjs";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    control: { type: "string", default: "soc2/CC7.1" },
    search: { type: "string", default: "zanzibarquokka" },
    "expect-policy": { type: "string" },
    "max-height": { type: "string", default: "1400" },
  },
});

if (positionals.length !== 2) {
  console.error(
    "usage: portal.mjs <site-period-dir> <screenshot-dir> [--control FW/ID] [--search WORD] [--expect-policy ID] [--max-height PX]",
  );
  process.exit(2);
}

const site = resolve(positionals[0]);
const shots = resolve(positionals[1]);
const [framework, controlId] = flags.control.split("/");
const word = flags.search;
const maxHeight = Number(flags["max-height"]);

/** The file path of a page's URL, relative to the site, with `/`. */
function sitePath(url) {
  const path = fileURLToPath(url);
  check(path.startsWith(site + sep), `${url} lies outside the site ${site}`);
  return path.slice(site.length + 1).split(sep).join("/");
}

async function screenshot(page, name) {
  await page.evaluate(() => document.fonts.ready);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const path = resolve(shots, name);
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y: 0, width: 1280, height: Math.min(height, maxHeight) },
    animations: "disabled",
    caret: "hide",
  });
  console.log(`saved ${path}`);
}

/** Page basics: our stylesheet loaded despite the CSP. (The search index
 * loads on first use; `search` checks it.) */
async function assertPortalPage(page) {
  const state = await page.evaluate(() => ({
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content || "",
    headerDisplay: getComputedStyle(document.querySelector("header.top")).display,
  }));
  check(state.csp.includes("script-src 'self'"), `${page.url()} has no CSP script-src 'self'`);
  check(
    state.headerDisplay === "flex",
    `${page.url()}: assets/style.css is not applied (blocked by the CSP?)`,
  );
}

/** Types the word into the search box; returns the hits' locator. */
async function search(page) {
  const input = page.locator("#search-input");
  await input.click();
  await input.fill("");
  await page.keyboard.type(word, { delay: 10 });
  const results = page.locator("#search-results");
  try {
    // The list of the whole word: when the index loads mid-typing, the list
    // first shows the hits of the letters typed so far.
    await page.waitForFunction(
      (typed) => {
        const list = document.getElementById("search-results");
        return !list.hidden && list.getAttribute("data-query") === typed && list.querySelector("li");
      },
      word,
      { timeout: 5_000 },
    );
  } catch {
    throw new Failure(
      `searching "${word}" on ${page.url()} showed no results list: assets/app.js did not run (blocked by the CSP?)`,
    );
  }
  const indexSize = await page.evaluate(() =>
    Array.isArray(window.AUDITBOOK_INDEX) ? window.AUDITBOOK_INDEX.length : -1,
  );
  check(
    indexSize > 0,
    `${page.url()}: window.AUDITBOOK_INDEX is missing: assets/search-index.js did not run (blocked by the CSP?)`,
  );
  const hits = results.locator("a");
  const texts = await hits.allInnerTexts();
  check(
    texts.length === 1,
    `searching "${word}" should find exactly one page, found ${texts.length}: ${JSON.stringify(texts)}`,
  );
  const kind = await hits.first().locator(".kind").innerText();
  check(kind.toLowerCase() === "policy", `the hit for "${word}" is a ${kind}, not a policy`);
  return hits;
}

async function assertOnPolicy(page) {
  const path = sitePath(page.url());
  check(path.startsWith("policies/"), `the search hit led to ${path}, not to a policy page`);
  if (flags["expect-policy"]) {
    const expected = `policies/${flags["expect-policy"]}.html`;
    check(path === expected, `the search hit led to ${path}, expected ${expected}`);
  }
  const body = await page.locator("article.prose").innerText();
  check(body.toLowerCase().includes(word.toLowerCase()), `${path} does not show "${word}" in its body`);
  return path;
}

await main("portal e2e", async () => {
  const dashboardFile = resolve(site, "index.html");
  check(existsSync(dashboardFile), `${dashboardFile} does not exist: build the portal first`);
  mkdirSync(shots, { recursive: true });

  const browser = await launch();
  const { context, watch } = browser;
  try {
    const page = await context.newPage();

    // 1. The dashboard, from file://.
    await page.goto(pathToFileURL(dashboardFile).href, { waitUntil: "load" });
    await assertPortalPage(page);
    check((await page.locator("main h1").count()) > 0, "the dashboard has no heading");
    await screenshot(page, "dashboard.png");
    watch.assertClean("on the dashboard");

    // 2. Dashboard -> framework matrix -> control.
    await follow(page, page.locator(`header nav a[href$="frameworks/${framework}.html"]`), `framework ${framework}`);
    check(sitePath(page.url()) === `frameworks/${framework}.html`, `the nav led to ${page.url()}`);
    await follow(page, page.locator(`main a[href$="controls/${framework}/${controlId}.html"]`), `control ${controlId}`);
    check(
      sitePath(page.url()) === `controls/${framework}/${controlId}.html`,
      `the matrix led to ${page.url()}`,
    );
    await assertPortalPage(page);
    const heading = await page.locator("main h1").innerText();
    check(heading.includes(controlId), `the control page's heading is "${heading}"`);
    check((await page.locator("main .verdict .status").count()) === 1, "the control page shows no status");
    await screenshot(page, "control.png");

    // 3. Control -> its first evidence item.
    const evidenceLinks = page.locator('section[aria-labelledby="evidence"] table a[href$=".html"]');
    check((await evidenceLinks.count()) > 0, `control ${controlId} lists no evidence: pick one that has some`);
    await follow(page, evidenceLinks, "evidence");
    const evidencePath = sitePath(page.url());
    check(evidencePath.startsWith("evidence/"), `the evidence link led to ${evidencePath}`);
    await assertPortalPage(page);

    const facts = await page.locator("dl.facts > div").evaluateAll((divs) =>
      Object.fromEntries(
        divs.map((d) => [d.querySelector("dt").textContent.trim(), d.querySelector("dd").textContent.trim()]),
      ),
    );
    const hash = (await page.locator("dl.facts code.hash").innerText()).trim();
    check(/^[0-9a-f]{64}$/.test(hash), `${evidencePath} shows no SHA-256 (got "${hash}")`);
    check(facts["SHA-256"]?.startsWith(hash), `${evidencePath} shows the hash outside a SHA-256 field`);

    const download = page.locator("main a[download]");
    check((await download.count()) === 1, `${evidencePath} has no download link`);
    const rawUrl = await download.evaluate((a) => a.href);
    const rawPath = sitePath(rawUrl);
    check(rawPath.startsWith("raw/"), `the download link points to ${rawPath}, not raw/`);
    const rawFile = fileURLToPath(rawUrl);
    check(existsSync(rawFile), `the download link points to ${rawPath}, which does not exist`);
    const redacted = await page.locator("main .status", { hasText: "redacted" }).count();
    if (!redacted) {
      const actual = createHash("sha256").update(readFileSync(rawFile)).digest("hex");
      check(actual === hash, `${evidencePath} shows SHA-256 ${hash}, but ${rawPath} hashes to ${actual}`);
    }
    watch.assertClean("between the dashboard and the evidence page");

    // 4. Search from a nested page and click the hit.
    const hits = await search(page);
    await follow(page, hits, `the hit for "${word}"`);
    const policyPath = await assertOnPolicy(page);

    // 5. Search from the dashboard and press Enter.
    await page.goto(pathToFileURL(dashboardFile).href, { waitUntil: "load" });
    await search(page);
    const before = page.url();
    await Promise.all([
      page.waitForURL((url) => url.href !== before, { waitUntil: "load" }),
      page.keyboard.press("Enter"),
    ]);
    check((await assertOnPolicy(page)) === policyPath, "Enter and a click led to different pages");

    watch.assertClean("during the walk");
    for (const asset of ["assets/style.css", "assets/app.js", "assets/search-index.js"]) {
      check(
        watch.requests.some((url) => url.endsWith(asset)),
        `the portal never loaded ${asset}`,
      );
    }
    console.log(
      `walked dashboard -> ${framework} -> ${controlId} -> ${evidencePath}; "${word}" -> ${policyPath}; ` +
        `${watch.requests.length} requests, all file:; ${watch.console.length} console messages`,
    );
  } finally {
    await browser.close();
  }
});
