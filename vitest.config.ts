import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests bind real UDP sockets on loopback; each file uses its own
    // address range, so files may run in parallel, but two cores is the budget.
    maxWorkers: 2,
    // SNMPv3 DES privacy needs OpenSSL's legacy provider (priscan's bin and unit start Node so too).
    execArgv: ['--openssl-legacy-provider'],
  },
});
