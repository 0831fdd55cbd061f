import { strictQuery } from '../query.js';

/** /api/stats, /api/cameras, /api/config take no parameters. */
export const noQuery = strictQuery({});
