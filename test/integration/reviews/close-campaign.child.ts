/**
 * A process that closes one access-review campaign (src/reviews/close-campaign.ts,
 * what `warden review close` and the reminders job run), for the test that
 * kills it mid-way. Prints `closing <pid>` before it starts and `closed` if it
 * ever finishes.
 */
import { openDatabase } from '../../../src/db/database.js';
import { bindAuditKey } from '../../../src/db/executor.js';
import { closeCampaign } from '../../../src/reviews/close-campaign.js';
import { TEST_AUDIT_KEY } from '../../support/db.js';

export interface CloseChildConfig {
  databaseUrl: string;
  schema: string;
  campaignId: number;
  /** Who closes it. */
  by: string;
}

const config = JSON.parse(process.env.WARDEN_CHILD_CONFIG ?? '{}') as CloseChildConfig;
const opened = await openDatabase({ url: config.databaseUrl, schema: config.schema, poolSize: 2 });
// The audit log's rows are signed with the test ledger's key, as the test's own are.
bindAuditKey(opened.db, TEST_AUDIT_KEY);
process.stdout.write(`closing ${process.pid}\n`);
await closeCampaign(opened.db, config.campaignId, config.by, new Date());
process.stdout.write('closed\n');
await opened.close();
