#!/usr/bin/env node
// The same page in other periods, from file://, in headless Chromium.
//
//   node tests/e2e/periods.mjs <site-dir> <older> <newer>
//        --page PATH [--page PATH …] [--only-newer PATH …] [--screenshot FILE]
//
// For each PATH (relative to a period folder), opens <site>/<older>/PATH,
// finds the menu of other periods that app.js builds from ../periods.js,
// follows its link to <newer> and lands on <site>/<newer>/PATH, then
// follows the link back to <older>. The older page was built before the
// newer period existed: it learns of it only through periods.js. For each
// --only-newer PATH (a page the older period lacks), checks that the link
// to <older> is marked absent and leads to its dashboard. Then follows
// the <newer> dashboard's link to its "Changes since <older>" page and
// saves it as FILE (1280 wide, at most 1600 high). Fails on any
// console error or warning, uncaught exception, dialog, failed load or
// request that is not a file: URL.

import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { check, follow, launch, main } from "./lib.mjs";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    page: { type: "string", multiple: true, default: [] },
    "only-newer": { type: "string", multiple: true, default: [] },
    screenshot: { type: "string" },
  },
});

if (positionals.length !== 3 || !flags.page.length) {
  console.error("usage: periods.mjs <site-dir> <older> <newer> --page PATH [--page PATH …] [--only-newer PATH …]");
  process.exit(2);
}

const [siteArg, older, newer] = positionals;
const site = resolve(siteArg);

/** `<period>/<path>` of a page's URL, relative to the site. */
function sitePath(url) {
  const path = fileURLToPath(url);
  check(path.startsWith(site + sep), `${url} lies outside the site ${site}`);
  return path.slice(site.length + 1).split(sep).join("/");
}

/** The menu's link to `period` on the open page, once app.js built it. */
async function periodLink(page, period) {
  try {
    await page.waitForSelector("#other-periods:not([hidden])", { timeout: 5_000 });
  } catch {
    throw new Error(
      `${sitePath(page.url())} shows no menu of other periods: ../periods.js or assets/app.js did not run (blocked by the CSP?)`,
    );
  }
  const link = page.locator(`#other-periods a[data-period="${period}"]`);
  check((await link.count()) === 1, `${sitePath(page.url())} offers no link to period ${period}`);
  return link;
}

async function open(page, relative) {
  const file = resolve(site, relative);
  check(existsSync(file), `${file} does not exist: build both periods first`);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
}

await main("periods e2e", async () => {
  const browser = await launch();
  const { context, watch } = browser;
  try {
    const page = await context.newPage();
    for (const path of flags.page) {
      // Older -> newer: the older page was not rewritten, periods.js was.
      await open(page, `${older}/${path}`);
      const forward = await periodLink(page, newer);
      const marked = await forward.evaluate((a) => a.className);
      check(marked.split(" ").includes("newer"), `the link from ${older}/${path} to ${newer} is not marked newer`);
      check(!marked.split(" ").includes("absent"), `${older}/${path} says ${newer} lacks the page`);
      await follow(page, forward, `${path} in ${newer}`);
      check(sitePath(page.url()) === `${newer}/${path}`, `the link to ${newer} led to ${sitePath(page.url())}`);
      const here = await page.evaluate(() => [document.body.dataset.period, document.body.dataset.page]);
      check(here[0] === newer && here[1] === path, `landed on ${here.join(" ")}`);

      // And back.
      const back = await periodLink(page, older);
      await follow(page, back, `${path} in ${older}`);
      check(sitePath(page.url()) === `${older}/${path}`, `the link to ${older} led to ${sitePath(page.url())}`);
      watch.assertClean(`between ${older}/${path} and ${newer}/${path}`);
      console.log(`${older}/${path} <-> ${newer}/${path}`);
    }
    for (const path of flags["only-newer"]) {
      await open(page, `${newer}/${path}`);
      const link = await periodLink(page, older);
      const marked = await link.evaluate((a) => a.className);
      check(marked.split(" ").includes("absent"), `the link from ${newer}/${path} to ${older} is not marked absent`);
      await follow(page, link, `the dashboard of ${older}`);
      check(sitePath(page.url()) === `${older}/index.html`, `the absent page's link led to ${sitePath(page.url())}`);
      watch.assertClean(`from ${newer}/${path} to ${older}`);
      console.log(`${newer}/${path} -> ${older}/index.html (absent in ${older})`);
    }
    // The newer dashboard links its changes page.
    await open(page, `${newer}/index.html`);
    await follow(page, page.locator('main a[href="changes.html"]'), `the changes since ${older}`);
    check(sitePath(page.url()) === `${newer}/changes.html`, `the dashboard's link led to ${sitePath(page.url())}`);
    const heading = (await page.locator("main h1").innerText()).trim();
    check(heading === `Changes since ${older}`, `the changes page's heading is "${heading}"`);
    if (flags.screenshot) {
      const file = resolve(flags.screenshot);
      mkdirSync(dirname(file), { recursive: true });
      await page.evaluate(() => document.fonts.ready);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({
        path: file,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: Math.min(height, 1600) },
        animations: "disabled",
        caret: "hide",
      });
      console.log(`saved ${file}`);
    }
    watch.assertClean("on the changes page");

    check(
      watch.requests.some((url) => url.endsWith("/periods.js")),
      "the pages never loaded periods.js",
    );
    watch.assertClean("during the walk");
  } finally {
    await browser.close();
  }
});
