import { describe, expect, it } from 'vitest';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';
import type { SendLedger } from '../../lib/ports/send-ledger.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import type { NightDependencies } from '../../lib/usecases/run-night.js';
import { sendDue } from '../../lib/usecases/send-due.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

/**
 * The written policy (RELIABILITY.md): a ledger entry is reserved before SES is called and is never reserved
 * again. An entry left `reserved` by a run that died is ambiguous (SES may or may not have taken the email), and
 * the next run resolves it on the side of not doubling: it never sends that step again, and the entry stays
 * visible as reserved (unconfirmed) on the customer. On AWS the run that dies is a send worker's invocation: the
 * night has scheduled every send and put it on the queue, the worker claims each (scheduled -> reserved) before
 * calling SES, and the queue redelivers what the dead invocation did not finish.
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
function dyingProcess<T extends Pick<NightDependencies, 'customers' | 'ledger' | 'suppressions' | 'configs' | 'email'>>(
  deps: T,
  email: EmailSender,
  process: { dead: boolean },
): T {
  return {
    ...deps,
    customers: untilDead(deps.customers, process),
    ledger: untilDead(deps.ledger, process),
    suppressions: untilDead(deps.suppressions, process),
    configs: untilDead(deps.configs, process),
    ...('runs' in deps ? { runs: untilDead(deps.runs as object, process) } : {}),
    email,
  };
}

/**
 * The send worker of a night whose invocation dies where `dies` says (given the worker's own SES): after that,
 * nothing that invocation still does reaches the table or SES. Its next invocation (the queue's redelivery) is
 * a fresh process, as Lambda starts one after a crash.
 */
function dyingSendWorker(dies: (email: OutgoingEmail, ses: EmailSender, process: { dead: boolean }) => Promise<string>) {
  return <T extends object>(handler: string, deps: T): T => {
    if (handler !== 'send-worker') return deps;
    const built = deps as T & Pick<NightDependencies, 'customers' | 'ledger' | 'suppressions' | 'configs' | 'email'> & { config: () => Promise<unknown> };
    const process = { dead: false };
    const email: EmailSender = { send: (outgoing) => (process.dead ? Promise.reject(new SimulatedCrash('earlier')) : dies(outgoing, built.email, process)) };
    const dying = dyingProcess(built, email, process);
    // Each invocation reads the config first: a new invocation after the crash runs in a new process.
    return {
      ...dying,
      config: () => {
        process.dead = false;
        return built.config();
      },
    } as T;
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
  it('sends that step to nobody twice: the redelivery leaves the reserved entry alone and emails everyone it had not reached', async () => {
    // Prepare: the send worker dies when it is about to hand Ada's email to SES
    const names = ['Ada', 'Ben', 'Cy', 'Dot'];
    const shop = await shopWith(names);
    const crashBeforeSes = dyingSendWorker(async (email, ses, process) => {
      if (email.to !== shop.byName.get('Ada')!.email) return ses.send(email);
      process.dead = true;
      throw new SimulatedCrash('before calling SES');
    });
    // Act
    const night = await workflowNight(shop, asOf, { dependencies: crashBeforeSes });
    const statuses = new Map(await Promise.all(names.map(async (name) => [name, (await shop.entriesOf(name)).map((entry) => entry.status)] as const)));
    // The operator re-runs the night an hour later.
    const anHourLater = { now: () => new Date(Date.now() + 3_600_000) };
    const rerun = await workflowNight(shop, asOf, { deps: { clock: anHourLater } });
    // Assess: the dead invocation's sends were redelivered, and Ada's found taken
    expect(night.workflow.sendQueue.failedReceives).toBeGreaterThan(0);
    expect(night.workflow.sendQueue.deadLetters).toEqual([]);
    expect(statuses.get('Ada')).toEqual(['reserved']);
    expect(await shop.inbox('Ada')).toHaveLength(0);
    // Whatever the dead invocation had claimed stays reserved (SES may have taken it when the table was gone) and is
    // never sent again; whatever it had not claimed was sent by the redelivery, once.
    const unconfirmed = names.filter((name) => statuses.get(name)![0] === 'reserved');
    for (const name of names) {
      expect(statuses.get(name)).toEqual([unconfirmed.includes(name) ? 'reserved' : 'sent']);
      const emails = (await shop.inbox(name)).length;
      if (unconfirmed.includes(name)) expect(emails).toBeLessThanOrEqual(1);
      else expect(emails).toBe(1);
    }
    // The re-run sends none of the abandoned steps again, and Ada's stays unconfirmed on the customer.
    expect(rerun).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
    expect(await shop.inbox('Ada')).toHaveLength(0);
    const view = await shop.view('Ada');
    expect(view!.sends).toEqual([expect.objectContaining({ status: 'reserved', step: 0 })]);
    expect(view!.sends[0]!.messageId).toBeUndefined();
    // The report shows the ambiguous sends apart: neither sent nor failed.
    const report = await buildReport({ source: new DynamoReportSource(shop.client, shop.tableName), configs: shop.deps.configs, clock: shop.deps.clock });
    const campaign = report.campaigns.find((entry) => entry.id === 'lost-winback')!;
    expect(campaign.unconfirmed).toBe(unconfirmed.length);
    expect(campaign.sent).toBe(names.length - unconfirmed.length);
    expect(campaign.failed).toBe(0);
  });
});

describe('a crash between SES answering and the ledger confirming', () => {
  it('never sends a second copy when the send worker died right after SES took the email', async () => {
    // Prepare: the send worker dies as soon as SES has taken the first email
    const names = ['Eva', 'Fay'];
    const shop = await shopWith(names);
    let emailed: string | undefined;
    const crashAfterSes = dyingSendWorker(async (email, ses, process) => {
      const messageId = await ses.send(email);
      emailed ??= email.to;
      process.dead = true;
      throw new SimulatedCrash(`after SES answered ${messageId}`);
    });
    // Act
    const night = await workflowNight(shop, asOf, { dependencies: crashAfterSes });
    const rerun = await workflowNight(shop, asOf);
    const nextNight = await workflowNight(shop, '2026-11-23');
    // Assess: the email SES took is never sent again, though its entry could not be confirmed
    const emailedBeforeCrash = names.find((name) => shop.byName.get(name)!.email === emailed)!;
    expect(night.workflow.sendQueue.failedReceives).toBeGreaterThan(0);
    expect(await shop.inbox(emailedBeforeCrash)).toHaveLength(1);
    expect((await shop.view(emailedBeforeCrash))!.sends).toEqual([expect.objectContaining({ status: 'reserved', step: 0 })]);
    for (const name of names) expect((await shop.inbox(name)).length).toBeLessThanOrEqual(1);
    expect(rerun).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
    expect(nextNight).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
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
    const night = await workflowNight(shop, asOf, { deps: { ledger: failingComplete, log } });
    const rerun = await workflowNight(shop, asOf);
    // Assess
    expect(night.emailsSent).toBe(2);
    expect(night.workflow.sendQueue).toMatchObject({ failedReceives: 0, deadLetters: [] });
    expect(rerun).toMatchObject({ emailsSent: 0, emailsQueued: 0, skipped: { already_sent: 2 } });
    expect(await shop.inbox('Gus')).toHaveLength(1);
    expect(await shop.inbox('Hal')).toHaveLength(1);
    const [mail] = await shop.inbox('Gus');
    expect(errors).toContainEqual(expect.objectContaining({ attributes: expect.objectContaining({ customerId: gus, messageId: mail!.messageId }) }));
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
    const nextNight = await workflowNight(shop, '2026-11-23');
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
