// Shared harness for the portal's end-to-end checks: launches Debian's
// Chromium through playwright-core (no downloaded browser) and records
// everything a page does that a static, offline portal must never do.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.AUDITBOOK_CHROMIUM || "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A failed expectation: reported as one clear line, exit code 1. */
export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

/**
 * Launches Chromium with a fresh profile. `options` go to the browser
 * context (e.g. `{ bypassCSP: true }`).
 */
export async function launch(options = {}, { tolerate = [] } = {}) {
  check(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)`,
  );
  const profile = mkdtempSync(join(tmpdir(), "auditbook-e2e-profile-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      colorScheme: "light",
      reducedMotion: "reduce",
      locale: "en-GB",
      timezoneId: "UTC",
      acceptDownloads: false,
      timeout: 60_000,
      ...options,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const watch = new Watch(context, tolerate);
  return {
    context,
    watch,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records, for every page of a context: console errors and warnings,
 * uncaught exceptions, dialogs (dismissed at once), and every request that
 * is not a `file:` URL. Problems matching one of `tolerate` (regular
 * expressions) are kept apart in `tolerated`.
 */
export class Watch {
  constructor(context, tolerate = []) {
    this.tolerate = tolerate;
    this.tolerated = [];
    this.problems = [];
    this.requests = [];
    this.dialogs = [];
    this.console = [];
    context.on("page", (page) => this.attach(page));
    for (const page of context.pages()) this.attach(page);
    // Requests made by service workers or anything outside a page.
    context.on("request", (request) => this.request(request));
  }

  problem(text) {
    if (this.tolerate.some((pattern) => pattern.test(text))) this.tolerated.push(text);
    else this.problems.push(text);
  }

  attach(page) {
    page.on("console", (message) => {
      const text = `${message.type()}: ${message.text()} (${page.url()})`;
      this.console.push(text);
      if (message.type() === "error" || message.type() === "warning") {
        this.problem(`console ${text}`);
      }
    });
    page.on("pageerror", (error) => {
      this.problem(`uncaught exception on ${page.url()}: ${error.message}`);
    });
    page.on("dialog", (dialog) => {
      this.dialogs.push(`${dialog.type()} "${dialog.message()}" on ${page.url()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("requestfailed", (request) => {
      // A navigation cancels what the previous page still had in flight.
      if (request.failure()?.errorText === "net::ERR_ABORTED") return;
      this.problem(
        `request failed: ${request.url()} (${request.failure()?.errorText}) from ${page.url()}`,
      );
    });
  }

  request(request) {
    const url = request.url();
    this.requests.push(url);
    if (!url.startsWith("file:")) {
      this.problem(`request to a non-file: URL: ${url}`);
    }
  }

  /** Throws if anything went wrong so far (or `extra` holds problems). */
  assertClean(where, extra = []) {
    const problems = [...extra, ...this.problems];
    if (this.dialogs.length) {
      problems.push(...this.dialogs.map((d) => `a dialog opened: ${d}`));
    }
    check(
      problems.length === 0,
      `${where}:\n  - ${problems.join("\n  - ")}`,
    );
  }
}

/** Clicks `locator` and waits for the navigation it starts to finish. */
export async function follow(page, locator, description) {
  check((await locator.count()) > 0, `no link to ${description} on ${page.url()}`);
  const before = page.url();
  await Promise.all([
    page.waitForURL((url) => url.href !== before, { waitUntil: "load" }),
    locator.first().click(),
  ]);
}

/** Runs `body` and turns any failure into a message and exit code. */
export async function main(name, body) {
  const started = Date.now();
  try {
    await body();
    console.log(`${name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    if (error instanceof Failure) {
      console.error(`${name}: FAILED: ${error.message}`);
    } else {
      console.error(`${name}: FAILED with an unexpected error:\n${error.stack || error}`);
    }
    process.exitCode = 1;
  }
}
