import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import type { Report } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import { bcbsazDrill } from '../../fixtures/report-runs.ts';
import { ROOT } from '../../helpers.ts';

/**
 * The HTML report as a person sees it: the bcbsaz drill (44 servers, five waves both ways, RTO
 * missed, RPO met) opened from disk in Debian's headless Chromium at 1280 px. Skipped where
 * Chromium is not installed; `.ci/run` installs it.
 */
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(
    `Skipping the HTML report's browser test: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it).`,
  );
}

/** Root here, on a closed network: no sandbox, nothing that phones home at start. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
const SCREENSHOT = join(ROOT, 'reports', 'browser', 'bcbsaz-drill-report.png');

/**
 * The few browser globals the page functions below use, declared for this module only: the
 * project compiles without the DOM library, and these functions run in the page, not in Node.
 */
interface PageElement {
  tagName: string;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { right: number };
}
declare const window: { innerWidth: number };
declare const document: {
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare function getComputedStyle(element: unknown): { borderColor: string };

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function boxOf(locator: Locator): Promise<Box> {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${locator} is not rendered`);
  return box;
}

const overlap = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Elements whose right edge is beyond the window: what makes a page scroll sideways. */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((e) =>
        [e.tagName.toLowerCase(), ...(e.getAttribute('class')?.split(' ') ?? [])].join('.'),
      ),
  );
}

/** A figure card (`RTO`, `RPO`) by its heading, its text as one line. */
async function figureText(page: Page, name: string): Promise<string> {
  const card = page
    .locator('.figure')
    .filter({ has: page.getByRole('heading', { name, exact: true }) });
  expect(await card.isVisible()).toBe(true);
  return (await card.innerText()).replace(/\s+/g, ' ');
}

describe.skipIf(!HAS_CHROMIUM)(`the HTML report in headless Chromium (${CHROMIUM})`, () => {
  let report: Report;
  let dir: string;
  let fileUrl: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    report = buildReport(await bcbsazDrill());
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-browser-'));
    const file = join(dir, 'bcbsaz-drill.html');
    await writeFile(file, renderHtml(report), 'utf8');
    fileUrl = pathToFileURL(file).href;
    // Playwright gives each launch a new, empty profile directory (and refuses --user-data-dir).
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(fileUrl, { waitUntil: 'load' });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads without a console error and fetches nothing but the file itself', () => {
    expect(errors).toEqual([]);
    expect(requests).toEqual([fileUrl]);
  });

  it('shows RTO and RPO against their targets, met or not, on the first screen', async () => {
    // Act
    const rto = await figureText(page, 'RTO');
    const rpo = await figureText(page, 'RPO');
    // Assess
    expect(rto).toContain('4h31m40s target 4h: ✗ not met');
    expect(rpo).toContain('41s target 15m: ✓ met');
    expect(rpo).toContain('Worst critical server: bcbsaz-batch-04');
    const color = (name: string) =>
      page
        .locator('.figure')
        .filter({ has: page.getByRole('heading', { name, exact: true }) })
        .evaluate((e) => getComputedStyle(e).borderColor);
    expect(await color('RTO')).toBe('rgb(207, 34, 46)');
    expect(await color('RPO')).toBe('rgb(26, 127, 55)');
    const figures = await boxOf(page.locator('.figures'));
    expect(figures.y + figures.height).toBeLessThanOrEqual(VIEWPORT.height);
  });

  it('draws the timeline with a bar per step, each wave both ways, to scale', async () => {
    // Prepare
    const svg = page.locator('svg.timeline');
    const waves = report.timeline.steps.filter((s) => s.kind === 'recover-wave');
    // Act
    const frame = await boxOf(svg);
    const bars: Box[] = [];
    for (const wave of waves) {
      const bar = svg.locator('rect').filter({
        has: page.locator('title', { hasText: `${wave.title}: done` }),
      });
      expect(await bar.isVisible(), wave.stepId).toBe(true);
      bars.push(await boxOf(bar));
    }
    // Assess
    expect(await svg.isVisible()).toBe(true);
    expect(frame.width).toBeGreaterThan(1000);
    expect(frame.height).toBeGreaterThan(report.timeline.steps.length * 20);
    expect(await svg.locator('rect').count()).toBe(report.timeline.steps.length);
    expect(waves).toHaveLength(10);
    for (const bar of bars) {
      expect(bar.width).toBeGreaterThan(2);
      expect(bar.x).toBeGreaterThanOrEqual(frame.x);
      expect(bar.x + bar.width).toBeLessThanOrEqual(frame.x + frame.width);
    }
    // Waves run one after another, and their bars are as long as they took.
    const starts = bars.map((b) => b.x);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    const [application, web] = [bars[1], bars[2]] as [Box, Box];
    const took = (1 * 3600 + 37 * 60 + 35) / (23 * 60 + 35);
    expect(Math.abs(application.width / web.width / took - 1)).toBeLessThan(0.03);
  });

  it('keeps the timeline readable: labels whole where they tell rows apart, none overlapping', async () => {
    // Prepare
    const svg = page.locator('svg.timeline');
    const frame = await boxOf(svg);
    const plotStart = frame.x + (340 / 1100) * frame.width;
    // Act
    const labels = await Promise.all((await svg.locator('text.label').all()).map(boxOf));
    const markers = svg.locator('text.marker-label');
    const markerBoxes = await Promise.all((await markers.all()).map(boxOf));
    // Assess
    // What is drawn, without the <title> tooltip each label carries.
    const shown = await svg
      .locator('text.label')
      .evaluateAll((all) => all.map((e) => e.firstChild?.textContent));
    for (const region of ['us-east-2', 'us-east-1']) {
      expect(shown).toContain(`Wave 4/5 file-transfer: recover 4 servers in ${region}`);
    }
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) {
      expect(label.x).toBeGreaterThanOrEqual(frame.x);
      expect(label.x + label.width).toBeLessThanOrEqual(plotStart);
    }
    expect(await markers.allTextContents()).toEqual(
      expect.arrayContaining(['Disruption', 'Validated', 'Signed off']),
    );
    expect(markerBoxes.length).toBeGreaterThanOrEqual(3);
    markerBoxes.forEach((a, i) => {
      expect(a.x).toBeGreaterThanOrEqual(frame.x);
      expect(a.x + a.width).toBeLessThanOrEqual(frame.x + frame.width);
      for (const b of markerBoxes.slice(i + 1)) expect(overlap(a, b)).toBe(false);
    });
  });

  it('fits 1280 px without scrolling sideways, and saves a screenshot', async () => {
    // Act
    const wide = await overflowing(page);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    await mkdir(join(ROOT, 'reports', 'browser'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.info(`Screenshot of the bcbsaz drill report: ${SCREENSHOT}`);
    // Assess
    expect(wide).toEqual([]);
    expect(scroll).toBeLessThanOrEqual(VIEWPORT.width);
  });

  it('the overflow check finds what sticks out of the window', async () => {
    const other = await browser.newPage({ viewport: VIEWPORT });
    try {
      await other.setContent('<div class="wide" style="width:1400px">x</div>');
      expect(await overflowing(other)).toEqual(['div.wide']);
    } finally {
      await other.close();
    }
  });
});
