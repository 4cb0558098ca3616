import { describe, expect, it } from 'vitest';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';
import type { SendLedger } from '../../lib/ports/send-ledger.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { type NightDependencies, runNight } from '../../lib/usecases/run-night.js';
import { sendDue } from '../../lib/usecases/send-due.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

/**
 * The written policy (RELIABILITY.md): a ledger entry is reserved before SES is called and is never reserved
 * again. An entry left `reserved` by a run that died is ambiguous (SES may or may not have taken the email), and
 * the next run resolves it on the side of not doubling: it never sends that step again, and the entry stays
 * visible as reserved (unconfirmed) on the customer.
 */

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];

class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`the process died ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/** Once the process has died, nothing it would still write reaches the table: every call through `port` fails. */
function untilDead<T extends object>(port: T, process: { dead: boolean }): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        process.dead ? Promise.reject(new SimulatedCrash('earlier')) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}

/** The table's ports of a process that can die; the email port is given, so each test chooses where it dies. */
function dyingProcess(deps: NightDependencies, email: EmailSender, process: { dead: boolean }): NightDependencies {
  return {
    ...deps,
    customers: untilDead(deps.customers, process),
    ledger: untilDead(deps.ledger, process),
    suppressions: untilDead(deps.suppressions, process),
    configs: untilDead(deps.configs, process),
    runs: untilDead(deps.runs, process),
    email,
  };
}

async function shopWith(names: readonly string[], change: (raw: RawConfig) => void = () => {}) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', shop.deps);
  const entries = names.map((name) => customerFrom({ name, orderDays: lost }));
  await shop.deps.customers.putMany(entries);
  const byName = new Map(entries.map(({ customer }) => [customer.firstName!, customer]));
  const deps = { ...shop.deps, config: activeConfig(shop.deps.configs, shop.deps.clock) };
  const inbox = (name: string) => inboxOf(shop.sesEndpoint, byName.get(name)!.email!);
  const entriesOf = (name: string) => shop.deps.ledger.sendsOf(byName.get(name)!.customerId);
  const view = (name: string) => viewCustomer(byName.get(name)!.email!, { ...deps, clock: { now: () => new Date(`${asOf}T12:00:00Z`) } });
  return { ...shop, deps, byName, inbox, entriesOf, view };
}

describe('a crash between reserving a send and calling SES', () => {
  it('sends that step to nobody twice: the next night leaves the reserved entry alone and emails everyone it had not reached', async () => {
    // Prepare: the process dies when it is about to hand Ada's email to SES
    const names = ['Ada', 'Ben', 'Cy', 'Dot'];
    const shop = await shopWith(names);
    const process = { dead: false };
    const crashBeforeSes: EmailSender = {
      send: async (email: OutgoingEmail) => {
        if (email.to === shop.byName.get('Ada')!.email || process.dead) {
          process.dead = true;
          throw new SimulatedCrash('before calling SES');
        }
        return shop.deps.email.send(email);
      },
    };
    // Act
    const crashed = runNight(dyingProcess(shop.deps, crashBeforeSes, process), { asOf, totalSegments: 1, sendConcurrency: 1 });
    await expect(crashed).rejects.toThrow(SimulatedCrash);
    const afterCrash = new Map(await Promise.all(names.map(async (name) => [name, (await shop.entriesOf(name)).map((entry) => entry.status)] as const)));
    const inboxAfterCrash = new Map(await Promise.all(names.map(async (name) => [name, (await shop.inbox(name)).length] as const)));
    // The operator re-runs the night an hour later.
    const anHourLater = { now: () => new Date(Date.now() + 3_600_000) };
    const rerun = await runNight({ ...shop.deps, clock: anHourLater }, { asOf });
    // Assess
    expect(afterCrash.get('Ada')).toEqual(['reserved']);
    // The re-run counts Ada's step as unconfirmed (left by the dead run), not as sent.
    expect(rerun.skipped.send_unconfirmed).toBe(1);
    expect(await shop.inbox('Ada')).toHaveLength(0);
    expect(await shop.entriesOf('Ada')).toEqual([expect.objectContaining({ status: 'reserved' })]);
    for (const name of names) {
      // Whoever had no entry when the process died is emailed by the re-run; whoever had one is not emailed again.
      expect(await shop.inbox(name)).toHaveLength(afterCrash.get(name)!.length === 0 ? 1 : inboxAfterCrash.get(name)!);
    }
    const untouched = names.filter((name) => afterCrash.get(name)!.length === 0).length;
    expect(rerun.emailsSent).toBe(untouched);
    const view = await shop.view('Ada');
    expect(view!.sends).toEqual([expect.objectContaining({ status: 'reserved', step: 0 })]);
    expect(view!.sends[0]!.messageId).toBeUndefined();
    expect(view!.decisions).toContainEqual(expect.objectContaining({ outcome: 'skipped', reason: 'send_unconfirmed', step: 0 }));
    // The report shows the ambiguous send apart: neither sent nor failed.
    const report = await buildReport({ source: new DynamoReportSource(shop.client, shop.tableName), configs: shop.deps.configs, clock: shop.deps.clock });
    const campaign = report.campaigns.find((entry) => entry.id === 'lost-winback')!;
    expect(campaign.unconfirmed).toBe(1);
    expect(campaign.sent).toBe(names.length - 1);
    expect(campaign.failed).toBe(0);
  });
});

describe('a crash between SES answering and the ledger confirming', () => {
  it('never sends a second copy when the process died right after SES took the email', async () => {
    // Prepare
    const shop = await shopWith(['Eva', 'Fay']);
    const process = { dead: false };
    const crashAfterSes: EmailSender = {
      send: async (email: OutgoingEmail) => {
        if (process.dead) throw new SimulatedCrash('earlier');
        const messageId = await shop.deps.email.send(email);
        process.dead = true;
        throw new SimulatedCrash(`after SES answered ${messageId}`);
      },
    };
    // Act
    await expect(runNight(dyingProcess(shop.deps, crashAfterSes, process), { asOf, totalSegments: 1, sendConcurrency: 1 })).rejects.toThrow(SimulatedCrash);
    const [first, second] = [await shop.inbox('Eva'), await shop.inbox('Fay')];
    const emailedBeforeCrash = first.length === 1 ? 'Eva' : 'Fay';
    const other = emailedBeforeCrash === 'Eva' ? 'Fay' : 'Eva';
    const rerun = await runNight(shop.deps, { asOf });
    const nextNight = await runNight(shop.deps, { asOf: '2026-11-23' });
    // Assess
    expect(first.length + second.length).toBe(1);
    expect(await shop.inbox(emailedBeforeCrash)).toHaveLength(1);
    expect(await shop.inbox(other)).toHaveLength(1);
    expect(rerun).toMatchObject({ emailsSent: 1, skipped: { already_sent: 1 } });
    expect(nextNight.emailsSent).toBe(0);
    const view = await shop.view(emailedBeforeCrash);
    expect(view!.sends).toEqual([expect.objectContaining({ status: 'reserved', step: 0 })]);
  });

  it('carries on when only the confirming write failed: the email counts as sent, is logged with its message id, and is not sent again', async () => {
    // Prepare: the ledger refuses Gus's confirmation once (a write that failed for good after the SDK's retries)
    const shop = await shopWith(['Gus', 'Hal']);
    const gus = shop.byName.get('Gus')!.customerId;
    const failingComplete: SendLedger = Object.assign(Object.create(shop.deps.ledger) as SendLedger, {
      complete: async (...args: Parameters<SendLedger['complete']>) => {
        if (args[0].customerId === gus && args[1].status === 'sent') throw Object.assign(new Error('write failed'), { name: 'InternalServerError' });
        return shop.deps.ledger.complete(...args);
      },
    });
    const errors: { message: string; attributes: Record<string, unknown> }[] = [];
    const log = { warn: () => {}, error: (message: string, attributes: Record<string, unknown> = {}) => errors.push({ message, attributes }) };
    // Act
    const night = await runNight({ ...shop.deps, ledger: failingComplete, log }, { asOf });
    const rerun = await runNight(shop.deps, { asOf });
    // Assess
    expect(night.emailsSent).toBe(2);
    expect(rerun).toMatchObject({ emailsSent: 0, skipped: { already_sent: 2 } });
    expect(await shop.inbox('Gus')).toHaveLength(1);
    expect(await shop.inbox('Hal')).toHaveLength(1);
    const [mail] = await shop.inbox('Gus');
    expect(errors).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ customerId: gus, messageId: mail!.messageId }) })]);
    expect((await shop.view('Gus'))!.sends).toEqual([expect.objectContaining({ status: 'reserved' })]);
    expect((await shop.view('Hal'))!.sends).toEqual([expect.objectContaining({ status: 'sent', messageId: expect.any(String) })]);
  });
});

describe('a crash in the sender of scheduled emails', () => {
  it('never sends a scheduled email twice when the sender died after SES took it', async () => {
    // Prepare: quiet hours, so the night schedules and the sender sends
    const shop = await shopWith(['Ivy'], (raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' }));
    const night = await workflowNight(shop, asOf);
    const process = { dead: false };
    const crashAfterSes: EmailSender = {
      send: async (email: OutgoingEmail) => {
        await shop.deps.email.send(email);
        process.dead = true;
        throw new SimulatedCrash('after SES answered');
      },
    };
    const dying = { ...dyingProcess(shop.deps, crashAfterSes, process), config: shop.deps.config };
    // Act
    await expect(sendDue(new Date(`${asOf}T12:00:00Z`), dying)).rejects.toThrow(SimulatedCrash);
    const again = await sendDue(new Date(`${asOf}T13:00:00Z`), shop.deps);
    const nextNight = await runNight(shop.deps, { asOf: '2026-11-23' });
    // Assess
    expect(night.emailsScheduled).toBe(1);
    expect(again.sent).toBe(0);
    expect(nextNight.emailsSent + nextNight.emailsScheduled).toBe(0);
    expect(await shop.inbox('Ivy')).toHaveLength(1);
    expect((await shop.view('Ivy'))!.sends).toEqual([expect.objectContaining({ status: 'reserved' })]);
  });
});

describe('two senders at the same moment', () => {
  it('send each scheduled email once between them', async () => {
    // Prepare: quiet hours, so the night schedules every email for the sender
    const names = ['Jon', 'Kit', 'Lux', 'Max', 'Ned', 'Oz'];
    const shop = await shopWith(names, (raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' }));
    const night = await workflowNight(shop, asOf);
    // Act
    const [one, two] = await Promise.all([sendDue(new Date(`${asOf}T12:00:00Z`), shop.deps), sendDue(new Date(`${asOf}T12:00:00Z`), shop.deps)]);
    // Assess
    expect(night.emailsScheduled).toBe(names.length);
    expect(one.sent + two.sent).toBe(names.length);
    for (const name of names) expect(await shop.inbox(name)).toHaveLength(1);
  });
});
