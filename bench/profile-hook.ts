/**
 * Preloaded into the service child (`node --require dist/bench/profile-hook.js …`) when
 * the benchmark runs with --profile. Answers over the IPC channel:
 *   { type: 'cpu-profile-start', intervalUs? }  starts V8's sampling profiler
 *   { type: 'cpu-profile-stop', file }          stops it and writes a .cpuprofile (Chrome DevTools format)
 *   { type: 'memory' }                          process.memoryUsage() and V8 heap statistics
 * Nothing in the service knows about it; without --profile it is not loaded at all.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { getHeapStatistics } from 'node:v8';

const session = new Session();
session.connect();

function post<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

let running = false;

async function handle(msg: { id: number; type: string; file?: string; intervalUs?: number }): Promise<Record<string, unknown>> {
  switch (msg.type) {
    case 'cpu-profile-start':
      if (running) await post('Profiler.stop');
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: msg.intervalUs ?? 500 });
      await post('Profiler.start');
      running = true;
      return {};
    case 'cpu-profile-stop': {
      if (!running) throw new Error('profiler not running');
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      running = false;
      if (msg.file) writeFileSync(msg.file, JSON.stringify(profile));
      return { file: msg.file };
    }
    case 'memory':
      return { memory: process.memoryUsage(), heap: getHeapStatistics() };
    default:
      throw new Error(`unknown request ${msg.type}`);
  }
}

process.on('message', (msg: { id: number; type: string }) => {
  handle(msg).then(
    (answer) => process.send?.({ id: msg.id, ...answer }),
    (error: unknown) => process.send?.({ id: msg.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The IPC channel must not keep the service alive when it shuts down.
(process.channel as { unref?: () => void } | undefined)?.unref?.();
