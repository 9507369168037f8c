import { describe, expect, it } from '@jest/globals';
import { directedText } from '../../../src/slack/mention.js';

describe('directedText', () => {
  it.each([
    ['<@UBOT> help', false, 'help'],
    ['<@UBOT|flotilla> task list', false, 'task list'],
    ['  <@UBOT>: ping  ', false, 'ping'],
    ['<@UBOT>', false, ''],
    ['ping', true, 'ping'],
    ['<@UBOT> ping', true, 'ping'],
  ])('%j (dm=%s) → %j', (text, isDm, expected) => {
    expect(directedText(text, 'UBOT', isDm)).toBe(expected);
  });

  it.each([
    ['hello <@UBOT> help', false],
    ['<@UOTHER> help', false],
    ['<@UBOTX> help', false],
    ['help', false],
    ['<#C123> help', false],
  ])('%j (dm=%s) is not for the bot', (text, isDm) => {
    expect(directedText(text, 'UBOT', isDm)).toBeUndefined();
  });
});
