// @ts-check
/**
 * The instances panel: `GET /v1/instances` (the instances sharing this
 * database, with heartbeat age). Shown while that route answers 200, hidden
 * when it answers 404 (a daemon without it), so the page works with both.
 */
import { ApiError } from './api.js';
import { count, duration, fullTime } from './format.js';

/** @typedef {{id: string, host: string, version: string, startedAt: string, heartbeatAt: string, heartbeatAgeMs: number, connections: number, isSelf: boolean}} Instance */

export class InstancesPanel {
  /** @type {Instance[]} */ #instances = [];
  #fetchedAt = 0;

  /** @param {HTMLElement} section @param {HTMLTableSectionElement} tbody */
  constructor(section, tbody) {
    this.section = section;
    this.tbody = tbody;
  }

  /**
   * Loads the list; hides the panel on 404. Other failures reject (the caller
   * decides whether the daemon is lost).
   * @param {import('./api.js').Api} api
   */
  async load(api) {
    try {
      const { instances } = await api.get('/v1/instances');
      this.#instances = Array.isArray(instances) ? instances : [];
      this.#fetchedAt = Date.now();
      this.section.hidden = false;
      this.render();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.section.hidden = true;
        return;
      }
      throw error;
    }
  }

  /** Redraws, heartbeat ages moved on by the time since the fetch. */
  render() {
    if (this.section.hidden) return;
    const elapsed = Date.now() - this.#fetchedAt;
    this.tbody.replaceChildren(...this.#instances.map((instance) => {
      const tr = document.createElement('tr');
      const cells = [
        instance.isSelf ? `${instance.id} (this one)` : instance.id,
        instance.host, instance.version, fullTime(instance.startedAt),
        duration(instance.heartbeatAgeMs + elapsed), count(instance.connections),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
  }
}
