import { isValidTimeZone } from '../lib/calendar.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { SlackApi } from './types.js';

const TEAM_ZONE_TTL_MS = 60 * 60_000;

/**
 * A workspace's time zone: the one set with `settings timezone`, else Slack's
 * (`team.info`, asked once an hour per team), else UTC. Never rejects.
 */
export class TeamZones {
  readonly #fromSlack = new TtlCache<string>(TEAM_ZONE_TTL_MS);

  /** The zone to use for `teamId`, given its settings' zone (null when unset). */
  async zoneOf(teamId: string, settingsZone: string | null, slack: SlackApi): Promise<string> {
    if (settingsZone !== null && isValidTimeZone(settingsZone)) return settingsZone;
    return this.#fromSlack.get(teamId, async () => {
      const zone = slack.teamTimeZone ? await slack.teamTimeZone() : 'UTC';
      return isValidTimeZone(zone) ? zone : 'UTC';
    }).catch(() => 'UTC');
  }
}
