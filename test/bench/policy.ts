/**
 * `npm run bench:policy [-- --nights N --customers N --seed N] [--quick]`: targeting policies over simulated nights on
 * customers whose responses are known (lib/local/policy-simulation.ts): `everyone`, `uplift` (learned from its own
 * holdout night by night, with Thompson offer sizing) and the oracle `best`. Prints one JSON line: incremental margin
 * against emailing nobody (expected and realised, in the shop's major units), emails, skips by reason, discount given.
 */
import { fileURLToPath } from 'node:url';
import { simulatedPolicies, simulatePolicies } from '../../lib/local/policy-simulation.js';

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

const major = (minor: number) => Math.round(minor) / 100;

function bench(): void {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const nights = option(argv, '--nights', quick ? 21 : 60);
  const customersPerNight = option(argv, '--customers', quick ? 200 : 400);
  const seed = option(argv, '--seed', 7);
  const started = performance.now();
  const result = simulatePolicies({ nights, customersPerNight, seed });
  const seconds = (performance.now() - started) / 1000;
  const policies = Object.fromEntries(
    simulatedPolicies.map((name) => {
      const p = result.policies[name];
      return [
        name,
        {
          incrementalMargin: major(p.expectedMarginMinor),
          realisedIncrementalMargin: major(p.realisedMarginMinor),
          emailed: p.emailed,
          heldOut: p.heldOut,
          skipped: p.skipped,
          discountGiven: major(p.discountGivenMinor),
          emailedByType: p.emailedByType,
        },
      ];
    }),
  );
  const { everyone, uplift } = result.policies;
  process.stdout.write(
    `${JSON.stringify({
      nights,
      customersPerNight,
      seed,
      seconds: Math.round(seconds * 10) / 10,
      upliftNights: result.upliftNights,
      upliftOverEveryone: Math.round((uplift.expectedMarginMinor / everyone.expectedMarginMinor) * 100) / 100,
      discountSaved: major(everyone.discountGivenMinor - uplift.discountGivenMinor),
      policies,
      lastPlan: {
        used: result.lastPlan.used,
        cvQini: result.lastPlan.cvQini,
        treated: result.lastPlan.treated,
        control: result.lastPlan.control,
        leaders: Object.fromEntries(Object.entries(result.lastPlan.allocation ?? {}).map(([segment, a]) => [segment, a.leader])),
      },
    })}\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) bench();
