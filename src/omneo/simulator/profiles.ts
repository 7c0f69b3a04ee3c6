/** Made-up customer profiles and their transactions, for the simulator's tenants. */
import type { OmneoProfile, OmneoTransaction } from '../types.js';

const FIRST_NAMES = ['Amelia', 'Oliver', 'Isla', 'Leo', 'Grace', 'Henry', 'Chloe', 'Lucas', 'Mila', 'Ethan', 'Sofia', 'Max'];
const LAST_NAMES = ['Taylor', 'Wilson', 'Martin', 'Anderson', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Young'];

/** A customer profile with made-up personal data; `first`/`last` picked at random when not given. */
export function generateProfile(
  id: number,
  random: () => number,
  ago: (days: number) => string,
  first = pick(random, FIRST_NAMES),
  last = pick(random, LAST_NAMES),
): OmneoProfile {
  const created = ago(30 + Math.floor(random() * 900));
  return {
    id,
    first_name: first,
    last_name: last,
    email: `${first}.${last}.${id}@customers.example`.toLowerCase(),
    mobile_phone: `+614${String(10_000_000 + Math.floor(random() * 89_999_999))}`,
    tags: [],
    created_at: created,
    updated_at: created,
  };
}

/** One to three transactions per profile. */
export function transactionsFor(profiles: readonly OmneoProfile[], random: () => number, ago: (d: number) => string): OmneoTransaction[] {
  const out: OmneoTransaction[] = [];
  let id = 1;
  for (const p of profiles) {
    // At least one each, so that "its transactions are gone" is a real check after a purge.
    const count = 1 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) {
      out.push({ id: id++, profile_id: p.id, total: Math.round(random() * 50_000) / 100, currency: 'AUD', transacted_at: ago(Math.floor(random() * 365)) });
    }
  }
  return out;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
