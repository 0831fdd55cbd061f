import { flagParam, intParam, numberParam, strictQuery } from '../query.js';

/** GET /api/events: `recent` past events first (default 20), `stats=1` adds an 'stats' event every `interval` s. */
export const eventsQuery = strictQuery({
  recent: intParam(0, 200).default(20),
  stats: flagParam.default(false),
  interval: numberParam(0.5, 60).default(1),
});
