// @ts-check
/** The "reconnects, last hour" panel: the total and its reasons. */
import { count } from './format.js';

/**
 * @param {HTMLElement} total
 * @param {HTMLUListElement} reasons
 * @param {{lastHour: number, byReason: Record<string, number>}} reconnects
 */
export function showReconnects(total, reasons, reconnects) {
  total.textContent = count(reconnects.lastHour);
  const entries = Object.entries(reconnects.byReason).sort((a, b) => b[1] - a[1]);
  reasons.replaceChildren(...entries.map(([reason, n]) => {
    const li = document.createElement('li');
    li.textContent = `${reason}: ${count(n)}`;
    return li;
  }));
}
