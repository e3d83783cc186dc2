/**
 * Preloaded into every child the suite starts (`node --import …/loopback-only.js`): a
 * module whose only effect is to install the loopback guard before the child's own code
 * runs.
 */
import { enforceLoopback } from './loopback-guard.js';

enforceLoopback();
