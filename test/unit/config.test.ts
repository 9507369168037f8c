import { hostname } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { adminAddressError, isLoopbackHost, loadAdminSettings, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/lib/errors.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined, dataDir: './.flotilla', slackApiUrl: 'https://slack.com/api/', pollIntervalMs: 90_000,
      adminAddr: { host: '127.0.0.1', port: 8787 }, adminUrl: 'http://127.0.0.1:8787', logLevel: 'info',
      heapGrowthPercent: 100, instanceId: `${hostname()}-${process.pid}`, leaseTtlMs: 15_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('adds the trailing slash to SLACK_API_URL and treats empty values as unset', () => {
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:9/api', DATABASE_URL: '' })).toMatchObject({
      slackApiUrl: 'http://127.0.0.1:9/api/', databaseUrl: undefined,
    });
  });

  it('takes 0 for FLOTILLA_HEAP_GROWTH_PERCENT: leave the heap to V8', () => {
    expect(loadConfig({ FLOTILLA_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
  });

  it.each([
    ['FLOTILLA_POLL_INTERVAL_MS', 'soon'],
    ['FLOTILLA_POLL_INTERVAL_MS', '0'],
    ['DATABASE_URL', 'mysql://x'],
    ['SLACK_API_URL', 'not a url'],
    ['FLOTILLA_ADMIN_ADDR', '8787'],
    ['LOG_LEVEL', 'loud'],
    ['FLOTILLA_ADMIN_TOKEN', 'short'],
    ['FLOTILLA_ENCRYPTION_KEY', 'dG9vIHNob3J0'],
    ['FLOTILLA_HEAP_GROWTH_PERCENT', '401'],
    ['FLOTILLA_HEAP_GROWTH_PERCENT', '-5'],
    ['FLOTILLA_HEAP_GROWTH_PERCENT', '1.5'],
    ['FLOTILLA_INSTANCE_ID', 'has space'],
    ['FLOTILLA_INSTANCE_ID', '-leading-dash'],
    ['FLOTILLA_LEASE_TTL_MS', '999'],
    ['FLOTILLA_LEASE_TTL_MS', 'long'],
  ])('names %s when it is %j', (variable, value) => {
    const attempt = () => loadConfig({ [variable]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable}: `));
  });

  it('takes the instance id verbatim and a lease TTL', () => {
    expect(loadConfig({ FLOTILLA_INSTANCE_ID: 'flotilla-a.eu-west:1', FLOTILLA_LEASE_TTL_MS: '3000' })).toMatchObject({
      instanceId: 'flotilla-a.eu-west:1', leaseTtlMs: 3_000,
    });
  });

  it('never echoes a bad secret', () => {
    try {
      loadConfig({ FLOTILLA_ENCRYPTION_KEY: 'c2VjcmV0LXZhbHVlLXRoYXQtaXMtd3Jvbmc=' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).not.toContain('c2VjcmV0');
    }
  });
});

describe('loadAdminSettings (what the CLI reads, without the schema library)', () => {
  it('reads the data dir, admin URL and token with the defaults and rules of loadConfig', () => {
    expect(loadAdminSettings({})).toEqual({ dataDir: './.flotilla', adminUrl: 'http://127.0.0.1:8787', isAdminUrlSet: false, adminToken: undefined });
    const env = { FLOTILLA_DATA_DIR: ' /srv/fl ', FLOTILLA_ADMIN_URL: 'https://ops.example:9000//', FLOTILLA_ADMIN_TOKEN: 'sixteen-chars-ok' };
    const full = loadConfig(env);
    expect(loadAdminSettings(env)).toEqual({ dataDir: full.dataDir, adminUrl: full.adminUrl, isAdminUrlSet: true, adminToken: full.adminToken });
    expect(loadAdminSettings({ FLOTILLA_ADMIN_URL: '' }).isAdminUrlSet).toBe(false);
  });

  it('names a bad variable, never echoing a token', () => {
    expect(() => loadAdminSettings({ FLOTILLA_ADMIN_URL: 'ftp://x' })).toThrow('FLOTILLA_ADMIN_URL: must be an http(s) URL');
    expect(() => loadAdminSettings({ FLOTILLA_ADMIN_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadAdminSettings({ FLOTILLA_ADMIN_TOKEN: 'short-secret' })).toThrow(/^FLOTILLA_ADMIN_TOKEN: must be at least 16 characters$/);
  });
});

describe('adminAddressError', () => {
  const at = (addr: string, token?: string) => adminAddressError(loadConfig({ FLOTILLA_ADMIN_ADDR: addr, ...(token ? { FLOTILLA_ADMIN_TOKEN: token } : {}) }));

  it.each(['127.0.0.1:8787', '127.1.2.3:0', 'localhost:8787', 'LOCALHOST:1'])('lets %s listen with a generated token', (addr) => {
    expect(at(addr)).toBeUndefined();
  });

  it.each(['0.0.0.0:8787', '10.0.0.5:8787', 'admin.example.com:8787', '128.0.0.1:8787', '127.0.0.256:1'])('refuses %s without FLOTILLA_ADMIN_TOKEN, in one line naming both variables', (addr) => {
    const error = at(addr);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(/^FLOTILLA_ADMIN_ADDR: \S+ is not a loopback address; set FLOTILLA_ADMIN_TOKEN explicitly/);
    expect(at(addr, 'an-explicit-token-of-length')).toBeUndefined();
  });

  it('knows ::1 as loopback', () => {
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::')).toBe(false);
  });
});
