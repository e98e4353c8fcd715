// Real-browser check of agentstat report pages in headless Debian Chromium.
//
//   node check.mjs [--allow-missing] REPORT_DIR|INDEX.html [SCREENSHOT.png] ...
//
// For each report directory (holding index.html and results.json) it loads index.html from
// file:// and FAILS on: any console error or page error; any network request other than the
// page itself; a study figure/table section missing; a table of results.json missing from the
// page; a suppressed cell not labelled "suppressed" (or showing a number); a chart without
// role/title/desc; a chart that lies by accident: a zero-width interval (on the chart or in a
// numbers table), a value axis reaching past 3× the largest estimate drawn (a log axis: past
// one decade beyond the estimates), a value-axis chart that does not declare its axis. On a
// personal page (results.json privacy.personal_mode) it also FAILS on any "too few people"
// text. It saves a full-page screenshot (default target/browser/<dir name>.png).
// --allow-missing accepts study sections the analysis did not compute (they must still say so).

import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// Must match STUDY_SECTIONS in crates/report/src/html.rs.
const STUDY_SECTIONS = ["fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "figa1", "figa2", "tablea1", "tablea2"];

const args = process.argv.slice(2);
const allowMissing = args.includes("--allow-missing");
// Targets: a report directory or its index.html, optionally followed by a .png path (or
// written DIR=PNG) for the screenshot.
const targets = [];
for (const a of args.filter((a) => !a.startsWith("--"))) {
  if (a.endsWith(".png") && !a.includes("=") && targets.length && !targets[targets.length - 1].shot) {
    targets[targets.length - 1].shot = a;
    continue;
  }
  const [p, shot] = a.split("=");
  const dir = p.endsWith(".html") ? path.dirname(p) : p;
  targets.push({ dir, shot });
}
if (targets.length === 0) {
  console.error("usage: node check.mjs [--allow-missing] REPORT_DIR|INDEX.html [SCREENSHOT.png] ...");
  process.exit(2);
}

const safeId = (s) => (s.replace(/[^A-Za-z0-9_-]/g, "_") || "table");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

let failures = 0;
for (const { dir, shot: shotArg } of targets) {
  const shot = shotArg || path.join("target", "browser", path.basename(path.resolve(dir)) + ".png");
  const errors = await checkReport(path.resolve(dir), shot);
  if (errors.length) {
    failures += errors.length;
    console.error(`FAIL ${dir}`);
    for (const e of errors) console.error(`  - ${e}`);
  } else {
    console.log(`ok   ${dir} (screenshot ${shot})`);
  }
}
await browser.close();
process.exit(failures ? 1 : 0);

async function checkReport(dir, shot) {
  const errors = [];
  const index = path.join(dir, "index.html");
  const resultsPath = path.join(dir, "results.json");
  if (!fs.existsSync(index)) return [`${index} not found`];
  if (!fs.existsSync(resultsPath)) return [`${resultsPath} not found`];
  const results = JSON.parse(fs.readFileSync(resultsPath, "utf8"));
  const url = pathToFileURL(index).href;

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== url) errors.push(`network request: ${r.url()}`);
  });
  page.on("requestfailed", (r) => {
    if (r.url() === url) errors.push(`page failed to load: ${r.failure()?.errorText}`);
  });
  await page.goto(url, { waitUntil: "load" });

  for (const id of STUDY_SECTIONS) {
    const sec = page.locator(`section#${id}`);
    if ((await sec.count()) !== 1) {
      errors.push(`study section #${id} missing`);
      continue;
    }
    const tables = await sec.locator("figure.tbl").count();
    const missing = await sec.locator("p.missing").count();
    if (tables === 0 && !(allowMissing && missing === 1)) {
      errors.push(`study section #${id} has no table${missing ? " (marked not computed)" : ""}`);
    }
  }
  for (const id of ["sample", "privacy-banner"]) {
    if ((await page.locator(`#${id}`).count()) !== 1) errors.push(`#${id} missing`);
  }
  if (results.privacy?.personal_mode && (await page.locator("#personal").count()) !== 1) {
    errors.push("personal mode but no #personal section");
  }

  for (const t of results.tables || []) {
    const id = safeId(t.id);
    const fig = page.locator(`figure.tbl#${id}`);
    if ((await fig.count()) !== 1) {
      errors.push(`table ${t.id} missing from the page`);
      continue;
    }
    // Every suppressed cell of results.json is a labelled cell in the numbers table, no digits.
    const rows = page.locator(`table#${id}-table tbody tr`);
    if ((await rows.count()) !== t.rows.length) {
      errors.push(`table ${t.id}: ${await rows.count()} rows on the page, ${t.rows.length} in results.json`);
      continue;
    }
    let suppressed = 0;
    for (let i = 0; i < t.rows.length; i++) {
      const tds = rows.nth(i).locator("td");
      for (let j = 0; j < t.columns.length; j++) {
        const c = t.rows[i].cells[j];
        if (!c || !c.suppressed) continue;
        suppressed++;
        if (c.value !== null && c.value !== undefined) errors.push(`table ${t.id}: suppressed cell carries a value in results.json`);
        const text = (await tds.nth(j).textContent())?.trim();
        if (text !== "suppressed") errors.push(`table ${t.id} row ${i} col ${j}: suppressed cell reads "${text}"`);
      }
    }
    const svg = fig.locator("svg.chart");
    if ((await svg.count()) > 0) {
      if ((await svg.getAttribute("role")) !== "img") errors.push(`table ${t.id}: chart without role=img`);
      if ((await svg.locator("title").count()) === 0 || (await svg.locator("desc").count()) === 0)
        errors.push(`table ${t.id}: chart without <title>/<desc>`);
      if ((await svg.locator(".axis-title").count()) === 0) errors.push(`table ${t.id}: chart without axis title`);
      if (suppressed > 0 && !((await svg.textContent()) || "").includes("suppressed"))
        errors.push(`table ${t.id}: chart does not label its ${suppressed} suppressed cell(s)`);
      const box = await svg.boundingBox();
      if (!box || box.height < 40) errors.push(`table ${t.id}: chart not rendered (height ${box?.height})`);
    }
  }
  errors.push(...(await honestCharts(page, results)));
  if (results.privacy?.personal_mode) {
    const text = (await page.locator("body").textContent()) || "";
    const m = text.match(/.{0,60}too few people.{0,60}/i);
    if (m) errors.push(`personal page says "too few people": "…${m[0].trim()}…"`);
  }

  const suppCells = await page.locator("td.supp").allTextContents();
  for (const s of suppCells) if (/\d/.test(s)) errors.push(`a suppressed cell shows digits: "${s}"`);

  fs.mkdirSync(path.dirname(path.resolve(shot)), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  // Print media must render too (the page is meant to be printable).
  await page.emulateMedia({ media: "print" });
  await page.pdf({ path: shot.replace(/\.png$/, "") + ".pdf" }).catch(() => {});
  await context.close();
  return errors;
}

// The estimates a chart draws on its value axis: visible values of the columns in the first
// column's unit (bars draw the first column only). Stacked charts have no value axis.
function estimates(t) {
  const unit = t.columns[0]?.unit;
  const cols = t.chart === "bars" ? [0] : t.columns.map((c, j) => (c.unit === unit ? j : -1)).filter((j) => j >= 0);
  const v = [];
  for (const r of t.rows)
    for (const j of cols) {
      const c = r.cells[j];
      if (c && !c.suppressed && c.value !== null && c.value !== undefined && Number.isFinite(c.value)) v.push(c.value);
    }
  return v;
}

// Zero-width intervals and axes set by something other than the estimates.
async function honestCharts(page, results) {
  const errors = [];
  const cells = await page.locator("table.num td").allTextContents();
  for (const c of cells) {
    const m = c.match(/\[([^\],]+), ([^\]]+)\]/);
    if (m && m[1].trim() === m[2].trim()) errors.push(`zero-width interval in a table: "${c.trim()}"`);
  }
  for (const t of results.tables || []) {
    const svg = page.locator(`figure.tbl#${safeId(t.id)} svg.chart`);
    if ((await svg.count()) === 0) continue;
    // Intervals: path.ci "M{a} {y}H{b}…" (bars) and line.iv (points).
    const zero = await svg.evaluate((s) => {
      const w = [...s.querySelectorAll("line.iv")].map((l) => +l.getAttribute("x2") - +l.getAttribute("x1"));
      for (const p of s.querySelectorAll("path.ci")) {
        const m = (p.getAttribute("d") || "").match(/^M([-\d.]+) [-\d.]+H([-\d.]+)/);
        if (m) w.push(+m[2] - +m[1]);
      }
      return w.filter((x) => Math.abs(x) < 0.05).length;
    });
    if (zero) errors.push(`table ${t.id}: ${zero} zero-width interval(s) drawn`);
    if (t.chart === "stacked") continue;
    const lo = await svg.getAttribute("data-axis-lo");
    const hi = await svg.getAttribute("data-axis-hi");
    if (lo === null || hi === null) {
      errors.push(`table ${t.id}: a ${t.chart} chart without data-axis-lo/hi`);
      continue;
    }
    const est = estimates(t);
    if (est.length === 0) continue;
    const [a, b] = [+lo, +hi];
    if ((await svg.getAttribute("data-axis-log")) === "true") {
      const pos = est.filter((x) => x > 0);
      const [mn, mx] = [Math.min(...pos), Math.max(...pos)];
      if (b > 10 * mx * (1 + 1e-9) || a < mn / 10 / (1 + 1e-9))
        errors.push(`table ${t.id}: log axis [${a}, ${b}] reaches more than a decade past the estimates [${mn}, ${mx}]`);
    } else {
      const m = Math.max(...est.map(Math.abs));
      if (m > 0 && Math.max(Math.abs(a), Math.abs(b)) > 3 * m * (1 + 1e-9))
        errors.push(`table ${t.id}: axis [${a}, ${b}] wider than 3× the largest estimate (${m})`);
    }
  }
  return errors;
}
