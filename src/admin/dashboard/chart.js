// @ts-check
/**
 * The rates chart and its numbers: per-second series of events and replies
 * over the last 10 minutes, drawn as two polylines in an SVG (no library,
 * no inline style: colours come from classes in style.css).
 */
import { count, rate } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 120;
/** Seconds per drawn point: 120 points of 5-second averages. */
const BUCKET = 5;

export class RatesChart {
  /** @type {number[]} */ #events = [];
  /** @type {number[]} */ #replies = [];
  /** Epoch ms at which the last second counted ended. */
  #at = 0;

  /**
   * @param {SVGSVGElement} svg
   * @param {HTMLElement} summary
   */
  constructor(svg, summary) {
    this.svg = svg;
    this.summary = summary;
  }

  /** The full series of `GET /v1/stats`. @param {{at: string, events: number[], replies: number[]}} stats */
  load(stats) {
    this.#events = [...stats.events];
    this.#replies = [...stats.replies];
    this.#at = Date.parse(stats.at);
    this.draw();
  }

  /**
   * One second from the live stream; seconds missed (a gap in the stream) count as 0.
   * @param {{at: string, events: number, replies: number}} tick
   */
  add(tick) {
    const at = Date.parse(tick.at);
    if (this.#events.length === 0 || at <= this.#at) return;
    const missed = Math.min(this.#events.length, Math.round((at - this.#at) / 1000) - 1);
    for (let i = 0; i < missed; i++) this.#push(0, 0);
    this.#push(tick.events, tick.replies);
    this.#at = at;
    this.draw();
  }

  draw() {
    const events = buckets(this.#events);
    const replies = buckets(this.#replies);
    const peak = Math.max(1, ...events, ...replies);
    const top = niceCeiling(peak);
    this.svg.replaceChildren(
      line(0, HEIGHT - 0.5, WIDTH, HEIGHT - 0.5, 'axis'),
      line(0, 0.5, WIDTH, 0.5, 'grid'),
      polyline(events, top, 'series-events'),
      polyline(replies, top, 'series-replies'),
    );
    const last = (/** @type {number[]} */ series) => series.slice(-BUCKET).reduce((a, b) => a + b, 0) / BUCKET;
    const max = (/** @type {number[]} */ series) => series.reduce((a, b) => Math.max(a, b), 0);
    this.summary.textContent = `Top line: ${count(top)}/s. Now (5 s average): ${rate(last(this.#events))} events/s, ${rate(last(this.#replies))} replies/s. `
      + `Busiest second in 10 minutes: ${count(max(this.#events))} events, ${count(max(this.#replies))} replies.`;
  }

  /** @param {number} events @param {number} replies */
  #push(events, replies) {
    this.#events.push(events);
    this.#replies.push(replies);
    if (this.#events.length > 600) this.#events.shift();
    if (this.#replies.length > 600) this.#replies.shift();
  }
}

/** Averages per BUCKET seconds. @param {number[]} series */
function buckets(series) {
  const out = [];
  for (let i = series.length % BUCKET; i < series.length; i += BUCKET) {
    let sum = 0;
    for (let j = i; j < i + BUCKET; j++) sum += series[j] ?? 0;
    out.push(sum / BUCKET);
  }
  return out;
}

/** 1, 2, 5, 10, 20, 50… at or above `value`. @param {number} value */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** @param {number[]} values @param {number} top @param {string} className */
function polyline(values, top, className) {
  const element = document.createElementNS(SVG, 'polyline');
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 1 - (v / top) * (HEIGHT - 16)).toFixed(1)}`);
  element.setAttribute('points', points.join(' '));
  element.setAttribute('class', className);
  return element;
}

/** @param {number} x1 @param {number} y1 @param {number} x2 @param {number} y2 @param {string} className */
function line(x1, y1, x2, y2, className) {
  const element = document.createElementNS(SVG, 'line');
  for (const [name, value] of Object.entries({ x1, y1, x2, y2 })) element.setAttribute(name, String(value));
  element.setAttribute('class', className);
  return element;
}
