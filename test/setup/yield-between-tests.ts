/**
 * Lets the event loop reach its poll phase after every test. Many suites run compilers and QEMU with
 * spawnSync; back to back they can hold a test worker for over 60 s, and vitest's worker RPC (a fixed
 * 60 s birpc timeout) then reports "Timeout calling onTaskUpdate" although every test passed: the reply
 * had arrived but was never read (vitest-dev/vitest#6479, #11082).
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
