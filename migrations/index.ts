import type { Migration } from 'kysely';
import * as core from './0001_core.js';
import * as teamData from './0002_team_data.js';
import * as leave from './0003_leave.js';
import * as instances from './0005_instances.js';
import * as fleetChanges from './0006_fleet_changes.js';
import * as install from './0007_install.js';

/**
 * Every migration, in order, keyed by name. Static on purpose: nothing is read
 * from the filesystem, so the installed CLI migrates from any working
 * directory and under jest. Append new entries; never edit a landed one.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_core': core,
  '0002_team_data': teamData,
  '0003_leave': leave,
  '0005_instances': instances,
  '0006_fleet_changes': fleetChanges,
  '0007_install': install,
};
