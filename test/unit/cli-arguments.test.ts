import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main.js';

afterEach(() => vi.restoreAllMocks());

function captureStderr() {
  const written: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return () => written.join('');
}

describe('the winback CLI', () => {
  it.each([
    [['start', '--as-of', '2026-13-01'], /--as-of.*expected a real date as YYYY-MM-DD/],
    [['start', '--as-of', '22/11/2026'], /--as-of.*expected a real date/],
    [['start', '--customers', 'many'], /--customers.*whole number/],
    [['start', '--customers', '0'], /--customers.*whole number from 1/],
    [['start', '--port', '80'], /--port.*whole number from 1024/],
    [['start', '--frobnicate'], /unknown option '--frobnicate'/],
    [['launch'], /unknown command 'launch'/],
  ])('refuses %j with a message naming what is wrong', async (argv, message) => {
    // Prepare
    const stderr = captureStderr();
    // Act
    const code = await main(argv);
    // Assess
    expect(code).not.toBe(0);
    expect(stderr()).toMatch(message);
  });

  it('validates a config file and lists its problems by path', async () => {
    // Prepare
    const stderr = captureStderr();
    // Act
    const code = await main(['config', 'validate', 'test/fixtures/campaign-config/invalid-many-problems.json']);
    // Assess
    expect(code).toBe(2);
    expect(stderr()).toMatch(/campaigns\[0\]\.sender\.fromAddress: not a valid email address/);
    expect(stderr()).toMatch(/Nothing was applied and nothing was sent/);
  });

  it('says so when a config file is missing or not JSON', async () => {
    // Prepare
    const stderr = captureStderr();
    // Act
    const missing = await main(['config', 'validate', 'no-such-file.json']);
    const notJson = await main(['config', 'validate', 'lib/cli/main.ts']);
    // Assess
    expect([missing, notJson]).toEqual([1, 1]);
    expect(stderr()).toMatch(/cannot read no-such-file\.json: no such file/);
    expect(stderr()).toMatch(/lib\/cli\/main\.ts is not valid JSON/);
  });
});
