/**
 * What the dashboard benchmark does inside the page, and how it reads the
 * browser's own counters (Chrome DevTools Protocol): the time from an
 * interaction to the frame that shows it, main-thread busy time, long tasks,
 * bytes received. Browser-side code is passed as strings: this project
 * compiles scripts/ without DOM types.
 */
import type { CDPSession, Page } from 'playwright-core';

/** One interaction, as the user does it: set a control and fire its event, or click a button. */
export type Interaction =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'state'; readonly value: string }
  | { readonly kind: 'sort'; readonly column: string }
  | { readonly kind: 'click'; readonly id: string }
  | { readonly kind: 'pageSize'; readonly value: string };

/**
 * Runs the interaction and waits for the next frame to be painted (a
 * requestAnimationFrame, then a task after it): the time a user waits to see
 * the result. Runs in the page.
 */
const MEASURE = `async (action) => {
  const t0 = performance.now();
  const set = (id, value, event) => { const el = document.getElementById(id); el.value = value; el.dispatchEvent(new Event(event)); };
  if (action.kind === 'text') set('text-filter', action.value, 'input');
  else if (action.kind === 'state') set('state-filter', action.value, 'change');
  else if (action.kind === 'pageSize') set('page-size', action.value, 'change');
  else if (action.kind === 'sort') document.querySelector('button[data-sort="' + action.column + '"]').click();
  else document.getElementById(action.id).click();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - t0;
}`;

/** Milliseconds from the interaction to its painted frame. */
export async function measure(page: Page, action: Interaction): Promise<number> {
  const ms = await page.evaluate(`(${MEASURE})(${JSON.stringify(action)})`) as number;
  return Math.round(ms * 10) / 10;
}

/** Starts collecting the page's long tasks (over 50 ms, the browser's own definition). */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
  })()`);
}

/** The long tasks since the last call (their durations, ms), and starts afresh. */
export async function takeLongTasks(page: Page): Promise<number[]> {
  return await page.evaluate('window.__longTasks.splice(0).map((d) => Math.round(d))') as number[];
}

/** The page's counters over a stretch of time, from the DevTools protocol. */
export class PageMeter {
  #bytes = 0;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Network.dataReceived', (event: { dataLength: number }) => { this.#bytes += event.dataLength; });
  }

  /** Attach before the page signs in: requests already running are not seen. */
  static async attach(page: Page): Promise<PageMeter> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Performance.enable');
    return new PageMeter(cdp);
  }

  /** A reading; `since(reading)` gives what happened after it. */
  async read(): Promise<{ atMs: number; taskSeconds: number; bytes: number; heapBytes: number }> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    const metric = (name: string): number => metrics.find((m) => m.name === name)?.value ?? 0;
    return { atMs: Date.now(), taskSeconds: metric('TaskDuration'), bytes: this.#bytes, heapBytes: metric('JSHeapUsedSize') };
  }

  /** Main-thread busy share (%), bytes received per second and the JS heap now, since `start`. */
  async since(start: Awaited<ReturnType<PageMeter['read']>>): Promise<{ busyPct: number; bytesPerSecond: number; heapMb: number; seconds: number }> {
    const end = await this.read();
    const seconds = (end.atMs - start.atMs) / 1000;
    return {
      seconds: Math.round(seconds * 10) / 10,
      busyPct: Math.round(((end.taskSeconds - start.taskSeconds) / seconds) * 1000) / 10,
      bytesPerSecond: Math.round((end.bytes - start.bytes) / seconds),
      heapMb: Math.round(end.heapBytes / 104857.6) / 10,
    };
  }
}

/** Signs in on a fresh page and resolves, with the time it took, once the first page of all `n` rows is on screen. */
export async function signIn(page: Page, url: string, token: string, n: number): Promise<number> {
  await page.goto(url);
  await page.fill('#token', token);
  const t0 = Date.now();
  await page.click('#login-form button[type=submit]');
  const summary = `${new Intl.NumberFormat('en').format(n)} workspaces`;
  // A function, not a string: the page's CSP forbids eval, which a string predicate would need.
  await page.waitForFunction(([text, count]) => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string; value: string } | null; querySelectorAll(s: string): { length: number } } }).document;
    return doc.querySelector('#table-summary')?.textContent === text
      && doc.querySelectorAll('#rows tr').length === Math.min(count, Number(doc.querySelector('#page-size')?.value));
  }, [summary, n] as const, { timeout: 120_000 });
  return Date.now() - t0;
}

/** The number shown in one of the counts by state ('connected', …). */
export async function shownCount(page: Page, state: string): Promise<number> {
  return Number(((await page.textContent(`#count-${state}`)) ?? '').replace(/,/g, ''));
}
