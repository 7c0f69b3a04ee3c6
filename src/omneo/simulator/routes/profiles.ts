/**
 * The simulator's customer profiles: search, read, tags (`PUT` with `tags`),
 * soft delete, transactions, and the purge (with its faults: lagging and dropped purges).
 */
import { invalid, noContent, notFound, paginate, item } from '../answers.js';
import { API_PREFIX, api, type Route, type SimState } from './route.js';

export function profileRoutes({ store, maxPageSize, origin, faults, random }: SimState): Route[] {
  return [
    api('GET', '/profiles', ({ query }) => {
      let profiles = store.visibleProfiles(Date.now());
      const email = query.get('filter[email]');
      if (email !== null) {
        const wanted = email.trim().toLowerCase();
        profiles = profiles.filter((p) => p.email?.toLowerCase() === wanted);
      }
      const search = query.get('search');
      if (search !== null && search.trim() !== '') {
        const term = search.trim().toLowerCase();
        profiles = profiles.filter((p) =>
          [p.first_name, p.last_name, `${p.first_name} ${p.last_name}`, p.email ?? '', p.mobile_phone ?? ''].some((f) => f.toLowerCase().includes(term)),
        );
      }
      return paginate(query, `${origin()}${API_PREFIX}/profiles`, profiles, maxPageSize);
    }),
    api('GET', '/profiles/{id}', ({ params }) => item(store.visibleProfile(Number(params[0]), Date.now()))),
    // Only `tags` is served: the simulator's point is the handle-with-care practice, not editing customers.
    api('PUT', '/profiles/{id}', ({ params, body, actor }) => {
      const id = Number(params[0]);
      if (!store.visibleProfile(id, Date.now())) return notFound();
      const tags = (body as { tags?: unknown } | null | undefined)?.tags;
      if (tags === undefined) return item(store.visibleProfile(id, Date.now()));
      if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) return invalid({ tags: ['The tags must be an array of strings.'] });
      // A tag update the platform acknowledges and then does not keep: what Warden's re-read must catch.
      if (faults.tagDropRate > 0 && random() < faults.tagDropRate) return item({ ...store.visibleProfile(id, Date.now())!, tags: [...(tags as string[])] });
      return item(store.setProfileTags(id, tags as string[], actor.user_id, Date.now()));
    }),
    api('DELETE', '/profiles/{id}', ({ params, actor }) =>
      store.softDeleteProfile(Number(params[0]), actor.user_id, Date.now()) ? noContent() : notFound(),
    ),
    api('GET', '/profiles/{id}/transactions', ({ params, query }) => {
      const txs = store.transactionsOf(Number(params[0]), Date.now());
      return txs ? paginate(query, `${origin()}${API_PREFIX}/profiles/${params[0]}/transactions`, txs, maxPageSize) : notFound();
    }),
    // The reference says DELETE, one public guide says POST: both are served.
    ...(['DELETE', 'POST'] as const).map((method) =>
      api(method, '/profiles/{id}/purge', ({ params }) => {
        const drop = faults.purgeDropRate > 0 && random() < faults.purgeDropRate;
        const outcome = store.purgeProfile(Number(params[0]), Date.now(), faults.purgeLagMs, drop);
        return outcome.found ? noContent() : notFound();
      }),
    ),
  ];
}
