// `npm run test:heavy`: the conformance sweeps (*.heavy.test.ts), apart from the default suite.
import { base } from './jest.config.js';

export default {
  ...base,
  testMatch: ['**/*.heavy.test.js'],
};
