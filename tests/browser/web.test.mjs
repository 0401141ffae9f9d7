// Vigil's pages in a real browser: Debian's chromium driven by playwright-core, against a real
// `vigil serve` on port 0 in a temporary folder. Run by CTest through run.sh.
//
// Covers: a reporter submits with JavaScript off, follows the tracking link and replies; a
// maintainer turns on TOTP, logs in with it by keyboard, finds the report on the dashboard,
// assigns, confirms, classifies and invites a collaborator; the collaborator sees that report
// and no other; XSS payloads in every text field stay inert; a cross-site form post without
// the CSRF token is refused; a capability link with one wrong character reveals nothing; a fix
// author answers the credit request mailed to them when their revision is approved;
// every page passes a label and contrast check and is screenshotted at desktop and phone size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const VIGIL = process.env.VIGIL_BINARY;
const OUT = process.env.VIGIL_TEST_OUTPUT || path.resolve("test-output");
const SHOTS = path.join(OUT, "screenshots");
assert.ok(VIGIL, "VIGIL_BINARY must name the vigil binary");

const XSS = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"'&`;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let dir, server, base, browser, admin, crossSite, crossSitePort, configPath;

// ---- helpers ----

function totp(base32, atMillis) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMillis / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, "0");
}

// Screenshots PAGE at desktop and phone widths as <name>-desktop.png / <name>-phone.png.
async function shoot(page, name) {
  const size = page.viewportSize();
  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

// The accessibility check, run in the page: every form control has a label, and every piece of
// visible text meets WCAG AA contrast against its effective background.
async function audit(page, name) {
  const problems = await page.evaluate(() => {
    const out = [];
    const visible = (el) => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0;
    };
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type === "hidden") continue;
      const labelled =
        (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
        el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
      if (!labelled) out.push(`no label: ${el.outerHTML.slice(0, 80)}`);
    }
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.5) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const seen = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
      if (el.closest(".sr-only, svg, option")) continue;
      seen.add(el);
      const s = getComputedStyle(el);
      const fg = parse(s.color);
      const bg = background(el);
      const l1 = lum(fg), l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(s.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        out.push(`contrast ${ratio.toFixed(2)}: "${n.textContent.trim().slice(0, 40)}" (${s.color} on rgb(${bg.r},${bg.g},${bg.b}))`);
      }
    }
    return out;
  });
  assert.deepEqual(problems, [], `${name}: accessibility problems`);
}

// Presses Tab until every visible link, button and form control of the page has had the focus
// (or 300 presses): the page can be used by keyboard alone.
async function tabThrough(page, name) {
  const expected = await page.evaluate(() => {
    const all = [...document.querySelectorAll("a[href], button, input, select, textarea, summary")];
    // Content of a closed <details> is not rendered (its summary is).
    const folded = (el) => el.tagName !== "SUMMARY" && el.closest("details:not([open])");
    // A radio group is one Tab stop (the arrow keys move within it).
    const groups = new Set();
    const firstOfGroup = (el) => el.type !== "radio" || (!groups.has(el.name) && groups.add(el.name));
    return all.filter((el) => el.type !== "hidden" && !el.disabled && !folded(el) &&
      el.getBoundingClientRect().width > 0 && getComputedStyle(el).visibility !== "hidden" &&
      firstOfGroup(el)).length;
  });
  await page.evaluate(() => {
    window.__focused = new Set();
    document.addEventListener("focusin", (e) =>
      window.__focused.add(e.target.type === "radio" ? "radio:" + e.target.name : e.target));
    document.activeElement?.blur();
  });
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press("Tab");
    const count = await page.evaluate(() => window.__focused.size);
    if (count >= expected) break;
  }
  const reached = await page.evaluate(() => window.__focused.size);
  assert.ok(reached >= expected, `${name}: only ${reached} of ${expected} controls reachable by Tab`);
}

// Every actor is shown by name or address, never as a bare number (an account id, a uid): in
// the thread's authors, the audit trail's actors and anywhere text names "cli:", "user:" or
// "token:" followed by digits alone.
async function noNumericActors(page, name) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const m of document.body.innerText.matchAll(/\b(cli|user|token):(\d+)\b/g)) out.push(m[0]);
    for (const el of document.querySelectorAll(".message-head strong, #audit td:nth-child(2)")) {
      if (/^\s*\d+\s*$/.test(el.textContent)) out.push(el.textContent.trim());
    }
    return out;
  });
  assert.deepEqual(bad, [], `${name}: actors shown as bare numbers`);
}

async function checkPage(page, name) {
  await audit(page, name);
  await noNumericActors(page, name);
  await shoot(page, name);
}

// ---- setup ----

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), "vigil-browser-"));
  execFileSync(VIGIL, ["init", "--dir", dir, "--port", "0"]);
  writeFileSync(path.join(dir, "SECURITY.md"),
    "## Reporting\n\nMail **security@example.org** or use this site. <script>alert(1)</script>\n\n" +
    "| Level | Meaning |\n|---|---|\n| 1 | every branch |\n\n[bad](javascript:alert(1))\n");
  const config = path.join(dir, "vigil.toml");
  configPath = config;
  writeFileSync(config, readFileSync(config, "utf8")
    .replace('name = "Example project"', 'name = "Antrea"')
    .replace("session_hours = 12", 'policy_file = "SECURITY.md"\nsession_hours = 12')
    // Mail on, delivered to a Maildir the fix author's test reads (SMTP intake on any port).
    .replace("enabled = false\nsmtp_address", "enabled = true\nsmtp_address")
    .replace("smtp_port = 2525", "smtp_port = 0")
    .replace('smarthost = ""', 'smarthost = "maildir:mail-out"'));
  const creds = readFileSync(path.join(dir, "data", "initial-admin.txt"), "utf8");
  admin = Object.fromEntries(creds.trim().split("\n").map((l) => l.split("=")));
  server = spawn(VIGIL, ["-c", config, "serve", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  base = await new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("vigil did not start: " + text)), 30000);
    server.stdout.on("data", (d) => {
      text += d;
      const m = text.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on("exit", (code) => reject(new Error(`vigil exited with ${code}: ${text}`)));
  });
  server.stderr.resume();
  // Another origin (another port) serving a form that posts to Vigil: a cross-site request.
  crossSite = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><form id="f" method="post" action="${base}${req.url}">
      <label for="r">Reason</label><input id="r" name="reason" value="pwned">
      <button type="submit">Go</button></form>`);
  });
  await new Promise((r) => crossSite.listen(0, "127.0.0.1", r));
  crossSitePort = crossSite.address().port;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  crossSite?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server.on("exit", r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- the flows (in order: each builds on the previous) ----

const state = {};

test("a reporter submits with JavaScript off, follows the tracking link and replies", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(base + "/");
  assert.equal(await page.locator("h1").first().textContent(), "Report a security vulnerability");
  // The policy is rendered from Markdown safely: the table is there, the script and the
  // javascript: link are not.
  assert.equal(await page.locator(".prose table").count(), 1);
  assert.equal(await page.locator(".prose script").count(), 0);
  assert.equal(await page.locator('.prose a[href^="javascript"]').count(), 0);
  // The mail template follows the configured form.
  assert.match(await page.locator(".mail-template").textContent(),
    /^Reproduction steps:\n\(Exact steps[^]*\nImpact:\n[^]*\nEnvironment:\n/);
  await checkPage(page, "01-landing");

  await page.click("text=Start a private report");
  await page.waitForURL(base + "/report");
  // The generic form (`vigil init` writes it): its fields, and the mail template that matches.
  const fields = ["steps", "effects_cluster", "effects_applications", "attack_vectors",
    "workflows", "other_software"];
  assert.equal(await page.locator("#f-effects_infrastructure").count(), 0);
  assert.equal(await page.locator('label[for="f-effects_cluster"]').textContent(), "Impact");
  await page.fill("#f-subject", "Token leak in agent logs " + XSS);
  for (const f of fields) await page.fill(`#f-${f}`, `${f}: ${XSS}\nsecond line`);
  await page.fill("#f-reporter_name", "Rita " + XSS);
  await page.fill("#f-reporter_email", "rita@example.org");
  await page.check("#credit-name");
  await page.fill("#f-credit_name", "Rita R. " + XSS);
  await page.setInputFiles("#f-attachments", [
    { name: `poc${XSS}.sh`, mimeType: "text/x-shellscript", buffer: Buffer.from("#!/bin/sh\necho poc\n") },
  ]);
  await checkPage(page, "02-report-form");
  await page.click("button[type=submit]:has-text('Send the report privately')");
  // The link is exchanged for a cookie: the address bar (and history) never keeps the token.
  await page.waitForURL(/\/track\/SEC-\d{4}-\d{4}\?new=1$/);
  const heading = await page.locator("#received-heading").textContent();
  state.id = heading.match(/SEC-\d{4}-\d{4}/)[0];
  assert.ok(page.url().endsWith("/track/" + state.id + "?new=1"));
  state.trackUrl = await page.inputValue("#tracking-link");
  assert.match(state.trackUrl, /\/track\/vgc_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
  // Inert: the payload is text, no element came out of it.
  assert.equal(await page.locator("img[src=x]").count(), 0);
  assert.ok((await page.locator("h2.h1").textContent()).includes("<script>window.__xss=1</script>"));
  assert.ok((await page.textContent("dl.fields")).includes(`attack_vectors: ${XSS}`));
  await checkPage(page, "03-submitted");

  await page.goto(state.trackUrl);
  assert.equal(await page.locator(".state").first().textContent(), "Received");
  assert.match(await page.textContent(".facts"), /Embargo until\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  await page.fill("#reply-body", "Here is a packet capture. " + XSS);
  await page.setInputFiles("#reply-files", [
    { name: "capture.pcap", mimeType: "application/vnd.tcpdump.pcap", buffer: Buffer.from("PCAPDATA") },
  ]);
  await page.click("button:has-text('Send reply')");
  await page.waitForURL(/\?sent=1/);
  assert.equal(await page.locator(".thread .message").count(), 1);
  assert.ok((await page.textContent(".thread")).includes("Here is a packet capture. " + XSS));
  assert.equal(await page.locator(".thread a:has-text('capture.pcap')").count(), 1);
  // The credit choice is on the page and can be changed.
  assert.equal(await page.inputValue("#c-credit-name"), "Rita R. " + XSS);
  await page.check("#c-anon");
  await page.click("button:has-text('Save credit choice')");
  await page.waitForURL(/#credit$/);
  assert.ok(await page.isChecked("#c-anon"));
  await checkPage(page, "04-tracking");
  await context.close();
});

test("a capability link with one wrong character is refused and reveals nothing", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const token = state.trackUrl.split("/track/")[1];
  const flipped = token.slice(0, 20) + (token[20] === "a" ? "b" : "a") + token.slice(21);
  const wrong = await page.goto(base + "/track/" + flipped);
  assert.equal(wrong.status(), 404);
  const wrongText = await page.textContent("main");
  assert.ok(wrongText.includes("this link is not valid"));
  assert.ok(!wrongText.includes(state.id));
  const none = await page.goto(base + "/track/vgc_" + "A".repeat(43));
  assert.equal(none.status(), 404);
  assert.equal(await page.textContent("main"), wrongText);
  await checkPage(page, "05-invalid-link");
  await context.close();
});

test("a maintainer turns on TOTP and logs in with it by keyboard", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on("dialog", (d) => { state.dialog = d.message(); d.dismiss(); });
  await page.goto(base + "/login");
  await checkPage(page, "06-login");
  await page.fill("#login-email", admin.email);
  await page.fill("#login-password", admin.password);
  await page.click("button:has-text('Log in')");
  await page.waitForURL(base + "/dashboard");
  await page.goto(base + "/account");
  await page.click("button:has-text('Set up two-factor login')");
  await page.waitForURL(/\/account#totp$/);
  assert.equal(await page.locator(".qr-box svg path").count(), 1);
  const secret = await page.getAttribute("#totp-secret", "data-secret");
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await checkPage(page, "07-account-totp");
  await page.fill("#totp-code", totp(secret, Date.now()));
  await page.click("button:has-text('Turn on two-factor login')");
  await page.waitForURL(/done=totp-on/);
  await page.click("button:has-text('Log out')");
  await page.waitForURL(/\/login\?bye=1/);

  // Without the code the login fails with one message for every cause.
  await page.fill("#login-email", admin.email);
  await page.fill("#login-password", admin.password);
  await page.click("button:has-text('Log in')");
  assert.equal(await page.textContent(".alert.error"), "wrong email, password or code");

  // By keyboard: the next step's code (the current one was spent confirming).
  await page.goto(base + "/login");
  await page.focus("#login-email");
  await page.keyboard.type(admin.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(admin.password);
  await page.keyboard.press("Tab");
  await page.keyboard.type(totp(secret, Date.now() + 30000));
  await page.keyboard.press("Enter");
  await page.waitForURL(base + "/dashboard");
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "vigil_session");
  assert.ok(session.httpOnly);
  assert.equal(session.sameSite, "Strict");
  state.maintainer = context;
  state.maintainerPage = page;
});

test("the maintainer finds the report, assigns, confirms, classifies and invites", async () => {
  const page = state.maintainerPage;
  // A second report the collaborator must never see.
  const other = await fetch(base + "/api/v1/reports", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ subject: "Unrelated controller crash", steps: "restart it" }),
  });
  state.otherId = (await other.json()).id;
  await page.goto(base + "/dashboard");
  await tabThrough(page, "dashboard");
  await page.fill("#q", "agent logs");
  await page.press("#q", "Enter");
  await page.waitForURL(/q=agent\+logs/);
  assert.equal(await page.locator("table.queue tbody tr").count(), 1);
  assert.ok((await page.textContent("table.queue")).includes(state.id));
  assert.equal(await page.locator("img[src=x]").count(), 0);
  await checkPage(page, "08-dashboard-search");
  await page.goto(base + "/dashboard");
  assert.equal(await page.locator("table.queue tbody tr").count(), 2);
  assert.equal(await page.locator("tr.ack-on-time, tr.ack-due-soon, tr.ack-overdue").count(), 2);
  await checkPage(page, "09-dashboard");

  await page.click(`a.report-link:has-text("${state.id}")`);
  await page.waitForURL(base + "/reports/" + state.id);
  await tabThrough(page, "report");
  await page.selectOption("#a-coordinator", admin.email);
  await page.click("button:has-text('Assign')");
  assert.equal(await page.textContent(".alert.ok"), "Coordinator assigned.");
  await page.click("button:has-text('Confirm the vulnerability')");
  assert.equal(await page.textContent(".alert.ok"), "Report confirmed.");
  // Classify by keyboard.
  await page.focus("#a-level");
  await page.selectOption("#a-level", "2");
  await page.focus("form[action$='/classify'] button");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".alert.ok");
  assert.equal(await page.textContent(".alert.ok"), "Classified as level 2.");
  assert.equal(await page.textContent(".page-head .state"), "Fix in progress");
  await page.fill("#a-invite-email", "carl@example.org");
  await page.fill("#a-invite-name", "Carl " + XSS);
  await page.selectOption("#a-invite-role", "collaborator");
  await page.click("button:has-text('Invite')");
  assert.match(await page.textContent(".alert.ok"),
    /^Invited carl@example\.org as collaborator\. .*http:\/\/127\.0\.0\.1:\d+\/track\/vgc_/);
  // A message from the CLI of an operator whose environment names no user (cron, a service).
  const env = { ...process.env };
  delete env.USER;
  execFileSync(VIGIL, ["-c", configPath, "report", "message", state.id, "--body",
    "Posted from the server's CLI."], { env });
  await page.fill("#message-body", "Thanks, confirmed. " + XSS);
  await page.click("button:has-text('Send message')");
  await page.waitForURL(/#thread$/);
  // The thread, the read-in list (with the reporter's view) and the audit trail.
  assert.equal(await page.locator(".thread .message").count(), 3);
  const people = await page.textContent(".people");
  assert.ok(people.includes("carl@example.org"));
  assert.match(people, /Viewed \d+×/);
  await page.goto(base + "/reports/" + state.id + "?trail=all#audit");
  await page.click("#audit summary");
  const audit = await page.textContent("#audit");
  for (const kind of ["report.submitted", "report.assigned", "report.confirmed", "report.classified",
    "participant.added", "message.posted", "report.viewed", "attachment.added"]) {
    assert.ok(audit.includes(kind), `audit trail lacks ${kind}`);
  }
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(state.dialog, undefined);
  await checkPage(page, "10-report");

  // The admin adds the collaborator's account (members see only what they are invited to).
  await page.goto(base + "/admin/accounts");
  await page.fill("#new-email", "carl@example.org");
  await page.fill("#new-name", "Carl");
  await page.selectOption("#new-role", "member");
  await page.fill("#new-password", "carl-password-1");
  await page.click("button:has-text('Add account')");
  assert.equal(await page.textContent(".alert.ok"), "Account carl@example.org created.");
  await checkPage(page, "11-accounts");
});

test("the collaborator sees that report and no other", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(base + "/login");
  await page.fill("#login-email", "carl@example.org");
  await page.fill("#login-password", "carl-password-1");
  await page.click("button:has-text('Log in')");
  await page.waitForURL(base + "/dashboard");
  const rows = page.locator("table.queue tbody tr");
  assert.equal(await rows.count(), 1);
  assert.ok((await rows.first().textContent()).includes(state.id));
  await page.goto(base + "/dashboard?q=controller");
  assert.equal(await page.locator("table.queue tbody tr").count(), 0);
  await checkPage(page, "12-collaborator-dashboard");
  const hidden = await page.goto(base + "/reports/" + state.otherId);
  assert.equal(hidden.status(), 404);
  const mine = await page.goto(base + "/reports/" + state.id);
  assert.equal(mine.status(), 200);
  assert.equal(await page.locator("section.actions").count(), 0);  // no triage for members
  assert.equal(await page.locator("#audit").count(), 0);
  await checkPage(page, "13-collaborator-report");
  await context.close();
});

test("a cross-site form post without the CSRF token is refused", async () => {
  const page = await state.maintainer.newPage();
  await page.goto(`http://127.0.0.1:${crossSitePort}/reports/${state.id}/reject`);
  const [response] = await Promise.all([page.waitForNavigation(), page.click("button")]);
  assert.equal(response.status(), 403);
  assert.ok((await page.textContent("main")).includes("the form has expired; reload the page and send it again"));
  const report = await page.goto(base + "/reports/" + state.id);
  assert.equal(report.status(), 200);
  assert.equal(await page.textContent(".page-head .state"), "Fix in progress");
  await checkPage(page, "14-csrf-refused");
  // Same without a browser: the session cookie alone is not enough.
  const cookie = (await state.maintainer.cookies()).find((c) => c.name === "vigil_session");
  const direct = await fetch(`${base}/reports/${state.id}/reject`, {
    method: "POST", redirect: "manual",
    headers: { Cookie: `vigil_session=${cookie.value}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "reason=x&_csrf=forged",
  });
  assert.equal(direct.status, 403);
  await page.close();
});

test("the reporter reads the classification on the tracking page", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(state.trackUrl);
  const decisions = await page.textContent("#decisions");
  assert.match(decisions, /Classified at level 2 \(must be fixed in master only, for the next release\): it is fixed privately, under embargo, then disclosed\./);
  // The CLI's message is signed with the login name (no USER: the password database's), here as
  // everywhere.
  const cli = page.locator(".thread .message", { hasText: "Posted from the server's CLI." });
  assert.equal(await cli.locator(".message-head strong").textContent(), userInfo().username);
  await checkPage(page, "15-tracking-decision");
  await context.close();
});

// The text of the first mail in the Maildir to RECIPIENT whose text matches PATTERN,
// quoted-printable decoded; polls until DEADLINE_MS (the sender runs every second).
async function mailTo(recipient, pattern, deadlineMs = 30000) {
  const folder = path.join(dir, "mail-out", "new");
  const until = Date.now() + deadlineMs;
  for (;;) {
    let names = [];
    try { names = readdirSync(folder); } catch { /* not made yet */ }
    for (const name of names) {
      const raw = readFileSync(path.join(folder, name), "latin1");
      if (!new RegExp(`^To: .*${recipient.replace(/[.]/g, "\\.")}`, "mi").test(raw)) continue;
      const text = Buffer.from(raw.replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1")
        .toString("utf8");
      if (pattern.test(text)) return text;
    }
    if (Date.now() > until) throw new Error(`no mail to ${recipient} matching ${pattern}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("the fix author answers the credit request mailed when the revision is approved", async () => {
  // Fiona's patch, submitted and approved from the CLI: the approval asks her how to credit her.
  const mbox = path.join(dir, "fix.mbox");
  writeFileSync(mbox,
    "From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001\n" +
    "From: Fiona Fixer <fiona@example.org>\nDate: Tue, 3 Mar 2026 10:00:00 +0000\n" +
    "Subject: [PATCH] agent: do not log tokens\n\n---\n a.c | 2 +-\n" +
    " 1 file changed, 1 insertion(+), 1 deletion(-)\n\n" +
    "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n" +
    "@@ -1 +1 @@\n-int a;\n+int a = 0;\n-- \n2.39.2\n");
  execFileSync(VIGIL, ["-c", configPath, "patch", "submit", state.id, mbox]);
  execFileSync(VIGIL, ["-c", configPath, "patch", "approve", state.id, "s1v1", "--as", admin.email]);
  const text = await mailTo("fiona@example.org", /\/credit\/vgcr_/);
  assert.match(text, /^Subject: .*How should Antrea credit your fix\?/m);
  assert.ok(!text.includes("agent logs"), "the request carries nothing of the report");
  const link = text.match(/\/credit\/vgcr_[A-Za-z0-9_-]+/)[0];

  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(base + link);
  assert.equal(await page.textContent("h1"), "How should we credit your fix?");
  assert.equal(await page.inputValue("#c-name"), "Fiona Fixer");
  assert.ok(!(await page.textContent("main")).includes("agent logs"));
  await tabThrough(page, "credit");
  await checkPage(page, "16-credit-request");
  await page.check("#c-anonymous");
  await page.click("button:has-text('Save my answer')");
  await page.waitForURL(/\?saved=1$/);
  assert.match(await page.textContent(".alert.ok"), /^Saved\./);
  assert.equal(await page.isChecked("#c-anonymous"), true);
  await checkPage(page, "17-credit-saved");
  // The link opens nothing else: not the report's tracking page.
  const other = await page.goto(base + link.replace("/credit/", "/track/"));
  assert.equal(other.status(), 404);
  await context.close();
  const show = execFileSync(VIGIL, ["-c", configPath, "advisory", "show", state.id]).toString();
  assert.match(show, /remediation developer  Fiona Fixer <fiona@example\.org>  consent anonymous/);
});

test("pages send the security headers", async () => {
  const response = await fetch(base + "/report");
  assert.equal(response.headers.get("x-frame-options"), "DENY");
  assert.equal(response.headers.get("referrer-policy"), "no-referrer");
  const csp = response.headers.get("content-security-policy");
  assert.ok(!csp.includes("unsafe-inline"));
  assert.ok(csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'"));
  assert.match(response.headers.get("set-cookie"), /^vigil_visitor=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
  await state.maintainer.close();
});
